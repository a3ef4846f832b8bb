/**
 * node:tls's process-wide defaults a program may change (`tls.DEFAULT_MIN_VERSION`, `tls.DEFAULT_MAX_VERSION`),
 * applied to options that leave the setting out, as node:tls does when it makes each secure context. Read when a
 * server or connection is made, so a program that sets them on node:tls configures the adapter too.
 */
import nodeTls from 'node:tls';
import type { TlsVersionName } from '../vocabulary/options.js';

/** `options` with node:tls's current default version range where it gives none. */
export function withNodeDefaults<T extends { readonly minVersion?: TlsVersionName | undefined; readonly maxVersion?: TlsVersionName | undefined }>(options: T): T {
  const min = options.minVersion ?? (nodeTls.DEFAULT_MIN_VERSION as TlsVersionName);
  const max = options.maxVersion ?? (nodeTls.DEFAULT_MAX_VERSION as TlsVersionName);
  if (min === options.minVersion && max === options.maxVersion) return options;
  // Only a default that differs from node:tls's own (TLSv1.2..TLSv1.3, ours too) is written in.
  const out: T = { ...options };
  if (options.minVersion === undefined && min !== 'TLSv1.2') (out as { minVersion?: TlsVersionName }).minVersion = min;
  if (options.maxVersion === undefined && max !== 'TLSv1.3') (out as { maxVersion?: TlsVersionName }).maxVersion = max;
  return out;
}
