import type { Writable } from 'node:stream';
import type { Level, Logger } from 'pino';
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

  private child: Logger | undefined;
  private facts: { from: unknown[]; value: Record<string, unknown> } | undefined;

  constructor(
    readonly id: string,
    readonly remoteAddress: string,
    /** The listener's logger; this connection's child (`conn`) is made on its first line. */
    private readonly parentLogger: Logger,
  ) {}

  get logger(): Logger {
    this.child ??= this.parentLogger.child({ conn: this.id });
    return this.child;
  }

  /** Whether a line at `level` is written: a line that is not costs no child logger. */
  logs(level: Level): boolean {
    return this.parentLogger.isLevelEnabled(level);
  }

  /**
   * The session facts sent with each create (`routerSession`): the same for every transaction
   * of the connection until EHLO, STARTTLS, AUTH (or XCLIENT) changes what they are made from.
   */
  sessionFacts(session: SMTPServerSession, make: () => Record<string, unknown>) {
    const from = [
      session.remoteAddress,
      session.clientHostname,
      session.hostNameAppearsAs,
      session.transmissionType,
      session.tlsOptions,
      this.credentials,
    ];
    const cached = this.facts;
    if (cached?.from.every((v, i) => v === from[i])) return cached.value;
    this.facts = { from, value: make() };
    return this.facts.value;
  }

  startTransaction(number: number, route: Route, mailFrom: Mailbox): TransactionState {
    this.transaction = new TransactionState(number, route.sender, route.apiKey, this);
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
  private child: Logger | undefined;

  constructor(
    readonly number: number,
    readonly sender: string,
    readonly apiKey: string,
    /** Its connection; the transaction's child logger (`txn`) is made from the connection's on its first line. */
    private readonly connection: ConnectionState,
  ) {}

  get logger(): Logger {
    this.child ??= this.connection.logger.child({ txn: `${this.connection.id}.${this.number}` });
    return this.child;
  }

  /** Whether a line at `level` is written: a line that is not costs no child logger. */
  logs(level: Level): boolean {
    return this.connection.logs(level);
  }

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
