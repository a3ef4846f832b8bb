/**
 * node:tls's `authorized` / `authorizationError` for a finished handshake, one rule for the stream engine and both
 * datagram engines. When the chain was enforced (the machine verified it, a client's resumed server chain included:
 * handshake/verify.ts resumedServerChain) it is authorized by construction; a server's resumed client chain comes
 * from a ticket its own keys sealed. Otherwise, with `rejectUnauthorized: false`, the same policy is run now to
 * report, a client's resumed session included (no session carries a verdict from the connection that made it).
 */
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { PreparedClientConfig, PreparedServerConfig } from '../vocabulary/config.js';

export interface Authorization {
  readonly authorized: boolean;
  readonly authorizationError: string | undefined;
}

export function authorizationOf(info: ConnectionInfo, cfg: PreparedClientConfig | PreparedServerConfig, enforced: boolean, now: number): Authorization {
  const chain = info.peerCertificates;
  if (chain.length === 0) return { authorized: false, authorizationError: 'no peer certificate' };
  if (enforced || (info.resumed && cfg.kind === 'server')) return { authorized: true, authorizationError: undefined };
  const verifier = cfg.reportVerifier;
  if (verifier === null) return { authorized: false, authorizationError: 'no trust anchors configured' };
  const name = cfg.kind === 'client' && cfg.checkServerName ? cfg.serverName : undefined;
  const isIp = name !== undefined && (/^[\d.]+$/.test(name) || name.includes(':'));
  const res = verifier.verify(chain, {
    time: now,
    usage: cfg.kind === 'client' ? 'serverAuth' : 'clientAuth',
    ...(name !== undefined ? (isIp ? { ipAddress: name } : { serverName: name }) : {}),
  });
  return res.ok ? { authorized: true, authorizationError: undefined } : { authorized: false, authorizationError: `${res.reason}: ${res.detail}` };
}
