/**
 * node:tls's process-wide defaults a program may change (`tls.DEFAULT_MIN_VERSION`, `tls.DEFAULT_MAX_VERSION`),
 * applied to options that leave the setting out, as node:tls does when it makes each secure context. Read when a
 * server or connection is made, so a program that sets them on node:tls configures the adapter too.
 */
import nodeTls from 'node:tls';
import type { TlsVersionName } from '../vocabulary/options.js';

/** The one version an OpenSSL method name pins (`TLSv1_2_method`, `TLSv1_2_client_method`…); undefined for the any-version methods. */
function methodVersion(method: string): TlsVersionName | undefined {
  const m = /^(TLSv1|TLSv1_1|TLSv1_2)_(?:client_|server_)?method$/.exec(method);
  if (m === null) return undefined;
  // TLS 1.0 / 1.1 pass through as node:tls names them, for the configuration to refuse (we speak neither).
  return (m[1] === 'TLSv1' ? 'TLSv1' : m[1] === 'TLSv1_1' ? 'TLSv1.1' : 'TLSv1.2') as TlsVersionName;
}

/**
 * `options` with node:tls's current default version range where it gives none; a `secureProtocol` naming one
 * version (validate.ts has refused it beside minVersion / maxVersion) pins the range to it, as OpenSSL's method does.
 */
export function withNodeDefaults<T extends { readonly minVersion?: TlsVersionName | undefined; readonly maxVersion?: TlsVersionName | undefined; readonly secureProtocol?: string | undefined }>(options: T): T {
  const pinned = typeof options.secureProtocol === 'string' ? methodVersion(options.secureProtocol) : undefined;
  if (pinned !== undefined && options.minVersion === undefined && options.maxVersion === undefined) return { ...options, minVersion: pinned, maxVersion: pinned };
  const min = options.minVersion ?? (nodeTls.DEFAULT_MIN_VERSION as TlsVersionName);
  const max = options.maxVersion ?? (nodeTls.DEFAULT_MAX_VERSION as TlsVersionName);
  // Only a default that differs from node:tls's own (TLSv1.2..TLSv1.3, ours too) is written in: with neither (the
  // usual case) the options are returned as they are, no copy per connection.
  const minKept = options.minVersion !== undefined || min === 'TLSv1.2';
  const maxKept = options.maxVersion !== undefined || max === 'TLSv1.3';
  if (minKept && maxKept) return options;
  const out: T = { ...options };
  if (options.minVersion === undefined && min !== 'TLSv1.2') (out as { minVersion?: TlsVersionName }).minVersion = min;
  if (options.maxVersion === undefined && max !== 'TLSv1.3') (out as { maxVersion?: TlsVersionName }).maxVersion = max;
  return out;
}
