import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { prependHeaders, readHeaders } from './body.ts';
import type {
  AuthResults,
  BodySource,
  ChainContext,
  ChainEvent,
  ChainTransaction,
  HeaderField,
  Mailbox,
  RoutingData,
  SessionInfo,
} from './types.ts';

/** Thrown when a filter touches the transaction after it completed or timed out. */
export class FilterCompletedError extends Error {
  constructor(filter: string) {
    super(`filter ${filter} already completed; late changes are refused`);
    this.name = 'FilterCompletedError';
  }
}

/**
 * A deep copy of envelope data, as `structuredClone` makes it: plain objects and arrays are
 * copied here (a few times faster, filters read the recipients several times per message);
 * anything else goes to `structuredClone`.
 */
export function copyOf<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyOf(value[i]);
    return out as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = copyOf((value as Record<string, unknown>)[k]);
  return out as T;
}

/** The context a filter runs with: the chain context plus a child logger and an abort signal
 * that fires when the filter's timeout expires. */
export type FilterContext = ChainContext & { logger: Logger; signal: AbortSignal };

/**
 * The view of the transaction that one filter invocation gets. It only shows the recipients
 * still in play, and refuses changes once the filter has completed (or timed out).
 */
export class FilterTx {
  #sealed = false;
  #headers: Promise<HeaderField[]> | undefined;

  constructor(
    private readonly tx: ChainTransaction,
    /** indices into `tx.rcpt_to` of the recipients still in play */
    readonly active: readonly number[],
    private readonly filterName: string,
    private readonly filterIndex: number,
    private readonly events: ChainEvent[],
    private readonly now: () => Date,
  ) {}

  get id(): string {
    return this.tx.id;
  }
  get sender(): string {
    return this.tx.sender;
  }
  get session(): SessionInfo {
    return this.tx.session ?? {};
  }
  /** copies: change the envelope with `setMailFrom`/`setRcpt` */
  get mailFrom(): Mailbox {
    return copyOf(this.tx.mail_from);
  }
  /** recipients still in play, in order (copies); verdicts in a result align with this list */
  get rcptTo(): Mailbox[] {
    return this.active.map((i) => copyOf(this.tx.rcpt_to[i]!));
  }
  get body(): BodySource | undefined {
    return this.tx.body;
  }
  get messageBuilder() {
    return this.tx.message_builder;
  }
  get parsed(): unknown {
    return this.tx.parsed;
  }
  get routing(): Readonly<RoutingData> {
    return this.tx.routing ?? {};
  }
  get authResults(): AuthResults | undefined {
    return this.tx.auth_results;
  }
  get tags(): readonly string[] {
    return this.tx.tags ?? [];
  }
  get sealed(): boolean {
    return this.#sealed;
  }

  seal(): void {
    this.#sealed = true;
  }

  #guard(): void {
    if (this.#sealed) throw new FilterCompletedError(this.filterName);
  }

  /** A fresh stream over the current body. */
  openBody(): Readable {
    if (!this.tx.body) throw new Error('transaction has no body');
    return this.tx.body.open();
  }

  /** Header fields of the current body, parsed on demand (reads only the header block). */
  headers(): Promise<HeaderField[]> {
    if (!this.tx.body) return Promise.resolve([]);
    this.#headers ??= readHeaders(this.tx.body);
    return this.#headers;
  }

  setMailFrom(m: Mailbox): void {
    this.#guard();
    this.tx.mail_from = m;
  }

  /** Rewrite the `j`-th recipient in play. */
  setRcpt(j: number, m: Mailbox): void {
    this.#guard();
    const i = this.active[j];
    if (i === undefined) throw new RangeError(`no recipient ${j}`);
    this.tx.rcpt_to[i] = m;
  }

  /** Prepend header lines (without CRLF); the body is re-streamed, not buffered. */
  prependHeaders(lines: string[]): void {
    this.#guard();
    if (!this.tx.body) throw new Error('transaction has no body');
    this.tx.body = prependHeaders(this.tx.body, lines);
    this.#headers = undefined;
  }

  replaceBody(body: BodySource): void {
    this.#guard();
    this.tx.body = body;
    this.#headers = undefined;
  }

  setParsed(parsed: unknown): void {
    this.#guard();
    this.tx.parsed = parsed;
  }

  setRouting(patch: Partial<RoutingData>): void {
    this.#guard();
    this.tx.routing = { ...this.tx.routing, ...patch };
  }

  setAuthResults(results: AuthResults): void {
    this.#guard();
    this.tx.auth_results = results;
  }

  tag(tag: string): void {
    this.#guard();
    this.tx.tags = [...new Set([...(this.tx.tags ?? []), tag])];
  }

  /** Record an event for the delivery timeline. Never put secrets or message bodies here. */
  event(type: string, data?: Record<string, unknown>): void {
    this.#guard();
    this.events.push({
      filter: this.filterName,
      index: this.filterIndex,
      type,
      at: this.now(),
      ...(data ? { data } : {}),
    });
  }
}
