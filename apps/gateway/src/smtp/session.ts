import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { SMTPServerSession } from 'smtp-server';
import type { Mailbox, TransactionHandle } from '../router-client.ts';
import type { Refusal } from './policy.ts';

/**
 * Connection state and transaction state are separate objects (CONVENTIONS.md "The mail path"):
 * the connection lives from connect to close; a transaction from MAIL to the end of DATA, RSET or
 * the next MAIL. Connection log lines carry `conn` (the connection id); transaction log lines
 * carry `txn` = `<connection id>.<transaction number>`.
 */
/**
 * Where an SMTP transaction is created: as which sender, with which key (never logged), and
 * whether that key is the listener's own gateway key (then the session facts go along).
 */
export interface Route {
  sender: string;
  apiKey: string;
  gateway: boolean;
}

export class ConnectionState {
  /** The MSA's authenticated sender and where its mail is created. */
  credentials: { sender: string; method: string; route: Route } | undefined;
  authFailures = 0;
  /** MAIL commands so far (bounded per connection). */
  mailCount = 0;
  transaction: TransactionState | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
  /** smtp-server's connection: its socket (the TLS one after STARTTLS) carries the replies. */
  connection: { _socket: Writable } | undefined;
  /** A MAIL or RCPT of this connection waits for its reply (`batched`). */
  answering = false;

  constructor(
    readonly id: string,
    readonly remoteAddress: string,
    readonly logger: Logger,
  ) {}

  startTransaction(number: number, route: Route, mailFrom: Mailbox): TransactionState {
    this.transaction = new TransactionState(
      number,
      route.sender,
      route.apiKey,
      this.logger.child({ txn: `${this.id}.${number}` }),
    );
    this.transaction.mailFrom = mailFrom;
    return this.transaction;
  }
}

export type TransactionPhase = 'envelope' | 'data' | 'done' | 'cancelled';

export class TransactionState {
  /** Created at the router with the first accepted recipient, not at MAIL. */
  handle: TransactionHandle | undefined;
  mailFrom: Mailbox = { m: '' };
  /** The session facts for the create (only with the listener's gateway key). */
  session: Record<string, unknown> | undefined;
  phase: TransactionPhase = 'envelope';
  /** Recipients sent to the router, in order (index = position in rcpt_response). */
  readonly recipients: string[] = [];
  /** Replies already given, by lower-cased address, so a repeated RCPT is not sent twice. */
  readonly replies = new Map<string, Refusal | undefined>();
  /** Set when the router failed mid-envelope: the rest of the transaction gets this reply. */
  failed: Refusal | undefined;
  /** Aborts a body upload in flight. */
  readonly abort = new AbortController();

  constructor(
    readonly number: number,
    readonly sender: string,
    readonly apiKey: string,
    readonly logger: Logger,
  ) {}

  get open(): boolean {
    return this.phase === 'envelope' || this.phase === 'data';
  }
}

const states = new WeakMap<SMTPServerSession, ConnectionState>();

/** smtp-server's hook callback; `message` is the text of a 250 (patches/README.md). */
export type Done = (err?: Error | null, message?: string) => void;

/**
 * RFC 2920 §3.2: the replies to a pipelined group leave in one write. smtp-server goes on with
 * the commands already received once the callback is called; when the next one is a MAIL or
 * RCPT still waiting for the router (`holds`), this reply stays in the corked socket and leaves
 * with that one's, else the socket is flushed before the next I/O (a client that does not
 * pipeline gets every reply at once).
 */
export function batched(session: SMTPServerSession, cb: Done, holds: boolean): Done {
  const state = states.get(session);
  if (!state) return cb;
  if (holds) state.answering = true;
  return (err, message) => {
    if (holds) state.answering = false;
    const socket = state.connection?._socket;
    if (!socket) return cb(err, message);
    if (!socket.writableCorked) socket.cork();
    cb(err, message);
    queueMicrotask(() => {
      if (!state.answering) while (socket.writableCorked) socket.uncork();
    });
  };
}

export function connectionOf(session: SMTPServerSession): ConnectionState | undefined {
  return states.get(session);
}

export function attachConnection(session: SMTPServerSession, state: ConnectionState): void {
  states.set(session, state);
}
