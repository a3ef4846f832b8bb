/**
 * node:tls's argument checks, with its error codes and messages, so code (and Node's own tests) written against
 * node:tls sees the same TypeError / RangeError for the same ill-typed option: ERR_INVALID_ARG_TYPE,
 * ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, ERR_TLS_INVALID_PROTOCOL_VERSION. Which options are checked, and when
 * (node:tls skips falsy key/cert/ca on a server), follows Node 20's lib/_tls_wrap.js and lib/internal/tls/secure-context.js.
 */
import { inspect } from 'node:util';

type Coded<E extends Error> = E & { code: string };

function coded<E extends Error>(err: E, code: string): Coded<E> {
  return Object.assign(err, { code });
}

/** Node's wording of what a value is ("type number (1)", "an instance of Object", "null"). */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function' && value.name !== '') return ` Received function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '') return ` Received an instance of ${name}`;
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

/** Node's primitive type names (its kTypes); other capitalised names are classes ("an instance of"). */
const TYPE_NAMES: ReadonlySet<string> = new Set(['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol']);

/** Node's ERR_INVALID_ARG_TYPE: `The "name" argument|property must be of type … Received …`. */
export function invalidArgType(name: string, expected: string | readonly string[], actual: unknown): Coded<TypeError> {
  const list = typeof expected === 'string' ? [expected] : expected;
  const types = list.filter((t) => TYPE_NAMES.has(t)).map((t) => t.toLowerCase());
  const instances = list.filter((t) => !TYPE_NAMES.has(t));
  if (instances.length > 0 && types.includes('object')) {
    types.splice(types.indexOf('object'), 1);
    instances.push('Object');
  }
  let msg = name.endsWith(' argument') ? `The ${name} ` : `The "${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  msg += 'must be ';
  const or = (xs: readonly string[]): string => (xs.length <= 2 ? xs.join(' or ') : `${xs.slice(0, -1).join(', ')}, or ${xs[xs.length - 1] ?? ''}`);
  if (types.length > 0) {
    msg += `${types.length > 1 ? 'one of type' : 'of type'} ${or(types)}`;
    if (instances.length > 0) msg += ' or ';
  }
  if (instances.length > 0) msg += `an instance of ${or(instances)}`;
  return coded(new TypeError(`${msg}.${describeReceived(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** Node's ERR_INVALID_ARG_VALUE: `The property 'name' reason. Received …`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): Coded<TypeError> {
  const kind = name.includes('.') ? 'property' : 'argument';
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return coded(new TypeError(`The ${kind} '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** Node's ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, range: string, value: unknown): Coded<RangeError> {
  const shown = typeof value === 'number' || typeof value === 'bigint' ? String(value) : inspect(value);
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`), 'ERR_OUT_OF_RANGE');
}

/** validateString. */
export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'string', value);
}

/** validateInt32(value, name, min, max). */
export function validateInt32(value: unknown, name: string, min = -2147483648, max = 2147483647): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/** A key, certificate, CA or CRL: a string or an ArrayBufferView. */
function validateKeyOrCert(name: string, value: unknown): void {
  if (typeof value !== 'string' && !ArrayBuffer.isView(value)) throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], value);
}

const TLS_VERSIONS: ReadonlySet<string> = new Set(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

/** ERR_TLS_INVALID_PROTOCOL_VERSION for a minVersion / maxVersion node:tls does not know. */
function validateVersion(v: unknown, which: 'minimum' | 'maximum'): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'string' || !TLS_VERSIONS.has(v)) {
    throw coded(new TypeError(`${String(v)} is not a valid ${which} TLS protocol version`), 'ERR_TLS_INVALID_PROTOCOL_VERSION');
  }
}

/**
 * node:tls `secureProtocol` (an OpenSSL method name): a string, never beside minVersion / maxVersion
 * (ERR_TLS_PROTOCOL_VERSION_CONFLICT), SSLv2/SSLv3 methods refused, an unknown name ERR_TLS_INVALID_PROTOCOL_METHOD.
 * The version range it stands for is applied by node-defaults.ts.
 */
function validateSecureProtocol(o: Record<string, unknown>): void {
  const method = o['secureProtocol'];
  if (method === undefined || method === null || method === '') return;
  validateString(method, 'options.secureProtocol');
  for (const k of ['minVersion', 'maxVersion'] as const) {
    const v = o[k];
    if (v !== undefined && v !== null) throw coded(new TypeError(`TLS protocol version ${JSON.stringify(v)} conflicts with secureProtocol ${JSON.stringify(method)}`), 'ERR_TLS_PROTOCOL_VERSION_CONFLICT');
  }
  const m = /^(SSLv2|SSLv3|SSLv23|TLS|TLSv1|TLSv1_1|TLSv1_2)_(?:client_|server_)?method$/.exec(method as string);
  if (m === null) throw coded(new TypeError(`Unknown method: ${method as string}`), 'ERR_TLS_INVALID_PROTOCOL_METHOD');
  if (m[1] === 'SSLv2' || m[1] === 'SSLv3') throw coded(new Error(`${m[1]} methods disabled`), 'ERR_TLS_INVALID_PROTOCOL_METHOD');
}

/** What node:tls's createSecureContext checks (configSecureContext), for options as the caller gave them. */
function validateContextOptions(o: Record<string, unknown>, name = 'options'): void {
  validateVersion(o['minVersion'], 'minimum');
  validateVersion(o['maxVersion'], 'maximum');
  validateSecureProtocol(o);
  const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : [v]);
  if (o['ca']) for (const v of list(o['ca'])) validateKeyOrCert(`${name}.ca`, v);
  if (o['cert']) for (const v of list(o['cert'])) validateKeyOrCert(`${name}.cert`, v);
  const key = o['key'];
  if (key) {
    // Only list entries may be `{ pem, passphrase }` objects (node:tls's setKey takes a lone key as it is).
    const entries: readonly (readonly [unknown, unknown])[] = Array.isArray(key)
      ? key.map((v: unknown) => {
          const e = v as { pem?: unknown; passphrase?: unknown } | null | undefined;
          return [e?.pem !== undefined ? e.pem : v, e?.passphrase !== undefined ? e.passphrase : o['passphrase']] as const;
        })
      : [[key, o['passphrase']]];
    for (const [pem, pass] of entries) {
      validateKeyOrCert(`${name}.key`, pem);
      if (pass !== undefined && pass !== null) validateString(pass, `${name}.passphrase`);
    }
  }
  const sigalgs = o['sigalgs'];
  if (sigalgs !== undefined && sigalgs !== null) {
    validateString(sigalgs, `${name}.sigalgs`);
    if (sigalgs === '') throw invalidArgValue(`${name}.sigalgs`, sigalgs);
  }
  if (o['ciphers'] !== undefined && o['ciphers'] !== null) validateString(o['ciphers'], `${name}.ciphers`);
  if (o['ecdhCurve'] !== undefined) validateString(o['ecdhCurve'], `${name}.ecdhCurve`);
  const crl = o['crl'];
  if (crl !== undefined && crl !== null) for (const v of list(crl)) validateKeyOrCert(`${name}.crl`, v);
  const pfx = o['pfx'];
  if (pfx !== undefined && pfx !== null) {
    for (const v of list(pfx)) {
      const buf = v !== null && typeof v === 'object' && 'buf' in v ? (v as { buf: unknown }).buf : v;
      validateKeyOrCert(`${name}.pfx`, buf);
    }
  }
  const ticketKeys = o['ticketKeys'];
  if (ticketKeys !== undefined && ticketKeys !== null) {
    if (!ArrayBuffer.isView(ticketKeys)) throw invalidArgType(`${name}.ticketKeys`, ['Buffer', 'TypedArray', 'DataView'], ticketKeys);
    if (ticketKeys.byteLength !== 48) throw invalidArgValue(`${name}.ticketKeys`, ticketKeys.byteLength, 'must be exactly 48 bytes');
  }
  const sessionTimeout = o['sessionTimeout'];
  if (sessionTimeout !== undefined && sessionTimeout !== null) validateInt32(sessionTimeout, `${name}.sessionTimeout`, 0);
}

/** node:tls `createServer(options)`'s checks (tls.Server and its setSecureContext). */
export function validateServerOptions(options: unknown): void {
  if (options === null || options === undefined) return;
  if (typeof options !== 'object') throw invalidArgType('options', 'Object', options);
  const o = options as Record<string, unknown>;
  if (o['ALPNProtocols'] !== undefined && o['ALPNProtocols'] !== null && o['ALPNCallback'] !== undefined && o['ALPNCallback'] !== null) {
    throw coded(new TypeError('The ALPNCallback and ALPNProtocols TLS options are mutually exclusive'), 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
  }
  // The server copies only truthy values into the context it makes (setSecureContext's `if (options.x)`).
  const truthy: Record<string, unknown> = {};
  for (const k of ['pfx', 'key', 'passphrase', 'cert', 'ca', 'minVersion', 'maxVersion', 'secureProtocol', 'crl', 'ciphers', 'sessionTimeout', 'ticketKeys']) {
    if (o[k]) truthy[k] = o[k];
  }
  // These two are copied as they are.
  for (const k of ['ecdhCurve', 'sigalgs']) if (o[k] !== undefined) truthy[k] = o[k];
  validateContextOptions(truthy);
  const handshakeTimeout = o['handshakeTimeout'] || 120_000;
  if (typeof handshakeTimeout !== 'number') throw invalidArgType('options.handshakeTimeout', 'number', o['handshakeTimeout']);
  const sni = o['SNICallback'];
  if (sni && typeof sni !== 'function') throw invalidArgType('options.SNICallback', 'function', sni);
  const alpn = o['ALPNCallback'];
  if (alpn !== undefined && alpn !== null && typeof alpn !== 'function') throw invalidArgType('options.ALPNCallback', 'Function', alpn);
}

/** node:tls `connect(options)`'s checks (before it makes the context). */
export function validateConnectOptions(options: object): void {
  const o = options as Record<string, unknown>;
  const csi = o['checkServerIdentity'];
  if (csi !== undefined && typeof csi !== 'function') throw invalidArgType('options.checkServerIdentity', 'Function', csi);
  const minDHSize = o['minDHSize'];
  if (minDHSize !== undefined) {
    if (typeof minDHSize !== 'number') throw invalidArgType('options.minDHSize', 'number', minDHSize);
    if (!(minDHSize >= 1)) throw outOfRange('options.minDHSize', '>= 1', minDHSize);
  }
  if (o['secureContext'] === undefined || o['secureContext'] === null) validateContextOptions(o);
}
