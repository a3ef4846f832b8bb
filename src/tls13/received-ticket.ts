/**
 * A NewSessionTicket the client received (RFC 8446 §4.6.1), as the SessionTicket it reports. Its serialised session
 * (and the PSK in it) is made when `data` is first read: a stored ticket is mostly never offered.
 *
 * `data` is an own, enumerable accessor, so spreads and structured clones of a ticket carry its value. Every ticket
 * has the same getter function: V8 keeps an accessor in the object's hidden class, so a getter closure per ticket
 * gave each ticket a hidden class of its own. Hidden classes live in the old generation, and until the next full
 * collection they kept what the closure held (the connection's whole traffic state) alive through young-generation
 * collections: ~3 KB per handshake promoted to the old generation on the idiomatic API, ~17 KB through the node
 * adapter (docs/performance.md, "promoted garbage"). The ticket keeps only the inputs of its session, not the
 * connection's state.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import { encodeClientSession } from '../handshake/tickets.js';
import type { SessionTicket } from '../vocabulary/events.js';
import type { NewSessionTicket13 } from '../wire/tls13-messages.js';
import { ProtocolVersion } from '../wire/registry.js';
import { ticketPsk } from './key-schedule.js';

/** What the session of a received ticket is made of, fixed when the ticket arrives. */
export interface ReceivedTicketInputs {
  readonly provider: CryptoProvider;
  readonly suite: SuiteInfo;
  readonly resumptionSecret: Uint8Array;
  readonly nst: NewSessionTicket13;
  readonly receivedAt: number;
  readonly alpn: Uint8Array | null;
  readonly peerChain: readonly Uint8Array[];
}

export class ReceivedTicket implements SessionTicket {
  readonly serverName: string;
  declare readonly data: Uint8Array;
  readonly expiresAt: number;
  #inputs: ReceivedTicketInputs | undefined;
  #data: Uint8Array | undefined;

  /** The one descriptor of every ticket's `data` (same getter: one hidden class for all tickets). */
  static readonly #dataProperty: PropertyDescriptor = Object.freeze({
    get(this: ReceivedTicket): Uint8Array {
      return this.#session();
    },
    enumerable: true,
    configurable: false,
  });

  constructor(serverName: string, inputs: ReceivedTicketInputs) {
    this.serverName = serverName;
    Object.defineProperty(this, 'data', ReceivedTicket.#dataProperty);
    this.expiresAt = inputs.receivedAt + inputs.nst.ticketLifetime * 1000;
    this.#inputs = inputs;
  }

  #session(): Uint8Array {
    const i = this.#inputs;
    if (i !== undefined) {
      this.#data = encodeClientSession({
        state: {
          version: ProtocolVersion.TLS13,
          suite: i.suite.id,
          secret: ticketPsk(i.provider, i.suite, i.resumptionSecret, i.nst.ticketNonce),
          issuedAt: i.receivedAt,
          lifetimeSeconds: i.nst.ticketLifetime,
          ageAdd: i.nst.ticketAgeAdd,
          alpn: i.alpn,
          serverName: this.serverName,
          peerChain: i.peerChain,
          extendedMasterSecret: false,
        },
        ticket: i.nst.ticket,
        receivedAt: i.receivedAt,
      });
      this.#inputs = undefined;
    }
    return this.#data as Uint8Array;
  }
}
