import { randomUUID } from 'node:crypto';
import type { Mailbox, SmtpReply } from '../router-client.ts';
import type { DeliveryResult, OutboundEnvelope } from './deliver.ts';

export type OutboundStatus = 'waiting_body' | 'delivering' | 'done' | 'cancelled';

/** An outbound transaction: in memory only, for as long as its delivery (the router retries). */
export interface OutboundTxn {
  id: string;
  sender: string;
  envelope: OutboundEnvelope;
  status: OutboundStatus;
  result: DeliveryResult | undefined;
  version: number;
  createdAt: number;
  /** Set while the upstream conversation is running: stops the message before its final dot;
   * false when it is too late (the whole body went upstream). */
  cancel?: () => boolean;
  /** A cancel arrived while delivering and stopped the message: ends `cancelled`. */
  cancelRequested?: boolean;
  /** The create's Idempotency-Key and a digest of its JSON, when it had one. */
  idempotency?: { key: string; digest: string };
}

export function toJson(t: OutboundTxn) {
  const r = t.result;
  const none = t.envelope.rcpt_to.map(() => null);
  return {
    id: t.id,
    status: t.status,
    mail_from: t.envelope.mail_from,
    rcpt_to: t.envelope.rcpt_to,
    mail_response: r?.mail_response ?? null,
    rcpt_response: r?.rcpt_response ?? none,
    data_response: r?.data_response ?? null,
    ...(r?.rcpt_data_response && { rcpt_data_response: r.rcpt_data_response }),
    upstream: r?.upstream ?? null,
    attempts: r?.attempts ?? [],
    attempt_count: r ? 1 : 0,
    final_attempt_reason: null,
  };
}

export function etagOf(t: OutboundTxn): string {
  return `"${t.id}.${t.version}"`;
}

/** The live outbound transactions, with long-poll waiters; entries expire after `ttlMs`. */
export class OutboundStore {
  private readonly txns = new Map<string, OutboundTxn>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Idempotency-Key → transaction id, for as long as the transaction is kept. */
  private readonly byKey = new Map<string, string>();

  constructor(private readonly ttlMs: number) {}

  create(
    sender: string,
    envelope: OutboundEnvelope,
    idempotency?: OutboundTxn['idempotency'],
  ): OutboundTxn {
    const t: OutboundTxn = {
      id: randomUUID(),
      sender,
      envelope,
      status: 'waiting_body',
      result: undefined,
      version: 1,
      createdAt: Date.now(),
      ...(idempotency && { idempotency }),
    };
    this.txns.set(t.id, t);
    if (idempotency) this.byKey.set(idempotency.key, t.id);
    setTimeout(() => this.expire(t.id), this.ttlMs).unref();
    return t;
  }

  get(id: string): OutboundTxn | undefined {
    return this.txns.get(id);
  }

  /** The transaction an earlier create with this Idempotency-Key made, while it is kept. */
  byIdempotencyKey(key: string): OutboundTxn | undefined {
    const id = this.byKey.get(key);
    return id ? this.txns.get(id) : undefined;
  }

  get size(): number {
    return this.txns.size;
  }

  /** Deliveries still running (for graceful shutdown). */
  get inFlight(): number {
    let n = 0;
    for (const t of this.txns.values()) if (t.status === 'delivering') n++;
    return n;
  }

  update(t: OutboundTxn, change: Partial<Pick<OutboundTxn, 'status' | 'result'>>): void {
    Object.assign(t, change);
    t.version++;
    const set = this.waiters.get(t.id);
    this.waiters.delete(t.id);
    for (const w of set ?? []) w();
  }

  /** Resolves true when `t` changes from `etag`, false after `ms`. */
  waitForChange(t: OutboundTxn, etag: string, ms: number): Promise<boolean> {
    if (etagOf(t) !== etag) return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = this.waiters.get(t.id) ?? new Set();
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        set.delete(wake);
        resolve(false);
      }, ms);
      set.add(wake);
      this.waiters.set(t.id, set);
    });
  }

  private expire(id: string): void {
    const t = this.txns.get(id);
    if (!t) return;
    if (t.status === 'delivering') {
      setTimeout(() => this.expire(id), 10_000).unref();
      return;
    }
    this.txns.delete(id);
    if (t.idempotency) this.byKey.delete(t.idempotency.key);
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
  }
}

export type { Mailbox, SmtpReply };
