import pg from 'pg';
import type { Logger } from 'pino';
import { type Change, parseHints, registerChangeSink } from './change-hints.ts';
import { channels } from './channels.ts';
import { WatchPeers } from './watch-peers.ts';

export type WaitResult = 'changed' | 'timeout' | 'closed';

interface Waiter {
  version: number;
  resolve: (r: WaitResult) => void;
}

export interface WatcherOptions {
  pool: pg.Pool;
  logger: Logger;
  /** How often the versions of watched transactions are polled; default 500 ms. */
  pollIntervalMs?: number;
  /** LISTEN for NOTIFY hints (default true); polling runs regardless. */
  listen?: boolean;
  /** application_name of the LISTEN connection. */
  applicationName?: string;
}

/** Called with the table named by a configuration change hint (`senders`, `chains`,
 * `api_keys`), or `*` when hints may have been missed (the LISTEN connection was re-made). */
export type ConfigChangeListener = (table: string) => void;

/**
 * Wakes long-polls (the router's REST long-poll, the exploder's waits, the console's live
 * timeline) when a transaction changes, and relays the configuration channel's hints to
 * `onConfigChange` listeners (the router's API key cache). One LISTEN connection per process receives the
 * trigger's `<id>:<version>` hints and fans them out to the in-memory waiters; because hints
 * can be lost (a reconnect, or the embedded database that delivers none across connections),
 * one query per interval also polls the versions of every watched transaction.
 *
 * While it listens, it also takes the changes of the SMTP relay's hot statements this process
 * commits through its pool (`change-hints.ts`): their waiters here are woken at once, and when
 * no other process has waiters (`WatchPeers`), those statements send no NOTIFY at all.
 */
export class TransactionWatcher {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /**
   * The newest version each hint announced in the last few seconds: a long-poll that read its
   * version just before a change, and registers just after the hint went by, is answered at
   * once instead of at the next poll.
   */
  private recent = new Map<string, number>();
  private older = new Map<string, number>();
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private forget: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private polling = false;
  private stopped = false;
  private readonly configListeners = new Set<ConfigChangeListener>();
  private connectedOnce = false;
  private unregister: (() => void) | null = null;
  private readonly peers = new WatchPeers({ send: (payload) => this.control(payload) });
  private soon: NodeJS.Timeout | null = null;

  constructor(private readonly options: WatcherOptions) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 500);
    this.timer.unref();
    // Two generations of hints: each is remembered for 5 to 10 seconds.
    this.forget = setInterval(() => {
      this.older = this.recent;
      this.recent = new Map();
    }, 5000);
    this.forget.unref();
    if (this.options.listen !== false) {
      this.unregister = registerChangeSink(this.options.pool, this);
      await this.connect();
    }
  }

  /**
   * Changes this process committed (`change-hints.ts`), hinted or not: wakes the waiters here
   * at once, without waiting for the NOTIFY round trip.
   */
  changed(changes: readonly Change[]): void {
    for (const c of changes) this.heard(c);
  }

  /** Whether this process's writes may leave their NOTIFY hints out (see `WatchPeers`). */
  canSkipHints(): boolean {
    return !this.stopped && this.peers.canSkipHints();
  }

  /** A control payload on the transactions channel (NOTIFY of a statement that writes nothing). */
  private control(payload: string): void {
    const client = this.client;
    if (!client) return;
    client.query('select pg_notify($1, $2)', [channels.transactions, payload]).catch((err) => {
      this.options.logger.warn({ err }, 'cannot announce long-poll waiters');
    });
  }

  private heard(c: Change): void {
    this.recent.set(c.id, Math.max(c.version, this.recent.get(c.id) ?? 0));
    this.wake(c.id, c.version);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      ...this.options.pool.options,
      application_name: this.options.applicationName ?? 'koukan-listen',
    });
    client.on('notification', (msg) => {
      if (msg.channel === channels.config) {
        this.configChanged(msg.payload || '*');
        return;
      }
      if (msg.channel !== channels.transactions || !msg.payload) return;
      if (this.peers.receive(msg.payload)) return;
      for (const c of parseHints(msg.payload)) this.heard(c);
    });
    client.on('error', (err) => {
      this.options.logger.warn({ err }, 'LISTEN connection lost; polling until it is back');
      this.dropClient(client);
    });
    client.on('end', () => {
      if (this.client === client) this.dropClient(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channels.transactions}`);
      await client.query(`LISTEN ${channels.config}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      this.peers.connected();
      // Changes made while the connection was down went unannounced.
      if (this.connectedOnce) this.configChanged('*');
      this.connectedOnce = true;
    } catch (err) {
      this.options.logger.warn({ err }, 'cannot LISTEN; relying on polling');
      this.dropClient(client);
    }
  }

  private dropClient(client: pg.Client): void {
    if (this.client === client) {
      this.client = null;
      this.peers.disconnected();
    }
    client.end().catch(() => {});
    if (!this.stopped && !this.reconnect) {
      this.reconnect = setTimeout(() => {
        this.reconnect = null;
        void this.connect();
      }, 1000);
      this.reconnect.unref();
    }
  }

  private configChanged(table: string): void {
    for (const listener of this.configListeners) {
      try {
        listener(table);
      } catch (err) {
        this.options.logger.warn({ err }, 'configuration change listener failed');
      }
    }
  }

  /**
   * Calls `listener` on every configuration change hint (a NOTIFY on the config channel after
   * a commit to senders, chains or api_keys). Hints only: the embedded database delivers none
   * across connections, so a listener must not be the only way a change is seen. Returns the
   * unsubscribe function.
   */
  onConfigChange(listener: ConfigChangeListener): () => void {
    this.configListeners.add(listener);
    return () => this.configListeners.delete(listener);
  }

  private wake(id: string, version: number | null): void {
    const set = this.waiters.get(id);
    if (!set) return;
    for (const w of set) {
      if (version === null || w.version !== version) {
        set.delete(w);
        w.resolve('changed');
      }
    }
    if (set.size === 0) this.waiters.delete(id);
  }

  /**
   * Tells the other processes this one has waiters. When they may not have known, a change
   * they committed meanwhile may have gone unhinted: one poll soon finds it.
   */
  private noteWaiting(): void {
    if (!this.client || !this.peers.waiting() || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.poll();
    }, 100);
    this.soon.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiters.size === 0) return;
    if (this.client) this.peers.waiting();
    this.polling = true;
    try {
      const ids = [...this.waiters.keys()];
      const { rows } = await this.options.pool.query<{ id: string; version: number }>(
        'select id, version from transactions where id = any($1::uuid[])',
        [ids],
      );
      const seen = new Map(rows.map((r) => [r.id, r.version]));
      for (const id of ids) this.wake(id, seen.get(id) ?? null);
    } catch (err) {
      this.options.logger.warn({ err }, 'long-poll version poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Resolves when the transaction's version differs from `version`, or after `timeoutMs`. */
  waitForChange(
    id: string,
    version: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitResult> {
    if (this.stopped) return Promise.resolve('closed');
    const announced = Math.max(this.recent.get(id) ?? 0, this.older.get(id) ?? 0);
    if (announced > version) return Promise.resolve('changed');
    return new Promise<WaitResult>((resolve) => {
      const finish = (r: WaitResult) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const s = this.waiters.get(id);
        s?.delete(waiter);
        if (s && s.size === 0) this.waiters.delete(id);
        resolve(r);
      };
      const waiter: Waiter = { version, resolve: finish };
      const onAbort = () => finish('closed');
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, (this.waiters.get(id) ?? new Set()).add(waiter));
      this.noteWaiting();
    });
  }

  /**
   * Resolves when any of the transactions differs from its version, after `timeoutMs`, or on
   * `signal`. One waiter per transaction; all are dropped when one answers.
   */
  async waitForAny(
    watched: { id: string; version: number }[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitResult> {
    const done = new AbortController();
    const either = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
    try {
      return await Promise.race(
        watched.map((w) => this.waitForChange(w.id, w.version, timeoutMs, either)),
      );
    } finally {
      done.abort();
    }
  }

  /** An in-process hint that `id` changed (its writer is in this process): wakes its waiters. */
  hint(id: string): void {
    this.wake(id, null);
  }

  /** The newest version a hint announced for `id` in the last few seconds, if any. */
  heardVersion(id: string): number | undefined {
    return this.recent.get(id) ?? this.older.get(id);
  }

  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  /** Answers every waiter ('closed') and drops the LISTEN connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    if (this.soon) clearTimeout(this.soon);
    if (this.timer) clearInterval(this.timer);
    if (this.forget) clearInterval(this.forget);
    if (this.reconnect) clearTimeout(this.reconnect);
    for (const set of this.waiters.values()) for (const w of set) w.resolve('closed');
    this.waiters.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
