import type { ClaimedTransaction, Db, DbHandle } from '@koukan/db';
import type { Chain, Sender, Transaction } from '@koukan/db/schema';
import type { AttemptVerdict, DsnOptions } from '@koukan/services';
import type { Logger } from 'pino';

export type { AttemptVerdict, SmtpResponse, VerdictEvent } from '@koukan/services';

export interface AttemptContext {
  /** Aborted when the attempt times out, its lease is lost, or the engine stops. */
  signal: AbortSignal;
  attemptId: string;
  /** 1 for the transaction's first attempt. */
  attemptNumber: number;
  /** The transaction's sender and its output chain as the live configuration has them now. */
  sender: Sender | undefined;
  chain: Chain | undefined;
  /** The rfc822 body's bytes when the engine has them in memory (cut-through at creation). */
  body?: Buffer;
}

/**
 * The engine's input port: runs one transaction through its output chain and says what the
 * upstream answered. The filter chain library (`packages/chain`) will implement it; tests drive
 * the engine with a scripted runner. A runner should stop promptly when `signal` aborts; the
 * engine does not wait for one that does not (its result is then discarded).
 */
export interface AttemptRunner {
  run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict>;
}

export interface RetentionOptions {
  /** Release a finished transaction's body this long after it finished. Default 7 days. */
  bodyAfterMs?: number;
  /** Delete a finished transaction this long after it finished. Default 30 days. */
  deleteAfterMs?: number;
  /** Collect a blob unreferenced for this long (uploads in progress have time). Default 1 day. */
  blobGraceMs?: number;
  /** Fail a queued transaction still without a body after this long. Default 1 day. */
  bodyTimeoutMs?: number;
  /**
   * Fail a transaction awaiting its body whose sender heartbeats (`metadata.heartbeat_at`) after
   * this long without a heartbeat or a body chunk. Default 30 min: the gateway's SMTP session
   * timeout, so a live session is never cut.
   */
  heartbeatTimeoutMs?: number;
  /** How often each replica runs a pass. Default 60 s. */
  intervalMs?: number;
  /** Rows per step per pass. Default 500. */
  batch?: number;
  /** Remove `instances` rows whose heartbeat is older than this. Default 10 min. */
  instanceStaleMs?: number;
  /** Delete audit log entries older than this. Default 365 days. */
  auditAfterMs?: number;
}

export interface EngineOptions {
  db: Db;
  /** The pool behind `db`; when given, the config cache LISTENs on its own connection. */
  pool?: DbHandle['pool'];
  logger: Logger;
  runner: AttemptRunner;
  /** For DSNs: `Reporting-MTA` and the default mailer-daemon address. */
  dsn: DsnOptions;
  /** In-flight attempts per replica (an attempt mostly waits on its upstream). Default 64. */
  concurrency?: number;
  /** Lease length; renewed every third of it while the attempt runs. Default 30 s. */
  leaseMs?: number;
  /** Claim interval when idle. Default 250 ms. */
  pollIntervalMs?: number;
  /** An attempt still running after this long is aborted: a temporary failure. Default 5 min. */
  attemptTimeoutMs?: number;
  heartbeatMs?: number;
  /** How often the config cache compares fingerprints. Default 1 s. */
  configPollMs?: number;
  /** Retention passes; false disables them on this replica. */
  retention?: RetentionOptions | false;
  /** The dashboard's rollup passes (engine/rollup.ts); false disables them on this replica. */
  rollup?: import('./rollup.ts').RollupOptions | false;
  /** The clock for retry schedules and retention (the lease clock is the database's). */
  now?: () => Date;
  version?: string;
  /**
   * Called when an attempt's outcome is recorded: an in-process change hint (the long-poll and
   * the exploder's fan-in wake at once, without waiting for NOTIFY or the fallback poll).
   */
  onRecorded?: (id: string) => void;
}

export interface StopOptions {
  /** How long to wait for in-flight attempts before releasing their leases. Default 10 s. */
  deadlineMs?: number;
}

export interface EngineHandle {
  /** This replica's row in `instances`, and the owner of its leases. */
  readonly instanceId: string;
  readonly config: import('./config-cache.ts').ConfigCache;
  /**
   * Cut-through: claims transaction `id` now and starts its attempt, without waiting for the
   * poll loop. False when it is not claimable (not due, no body, already leased) or this
   * replica is stopping or at its concurrency limit (the poll loop then picks it up).
   */
  kick(id: string): Promise<boolean>;
  /**
   * Cut-through of transactions a statement of the caller makes due (the exploder's hand-over):
   * `run` claims at most `terms.limit` of them for this replica under `terms` (0 when it is full
   * or stopping; none of a sender in `terms.skip`), and those it returns start at once.
   */
  claimWith<T extends { claimed: ClaimedTransaction[] }>(
    want: number,
    run: (terms: ClaimTerms) => Promise<T>,
  ): Promise<T>;
  /**
   * The row the attempt of `id` running on this replica leaves when its outcome is recorded;
   * undefined when none runs here, it records nothing, or `timeoutMs` or `signal` come first.
   */
  recorded(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Transaction | undefined>;
  /**
   * Waiting is not work: the attempt of transaction `id` holds no slot while `wait` runs (it
   * waits for other transactions), then takes one again, ahead of new claims, to finish.
   * Runs `wait` as it is when `id` is not an attempt of this replica.
   */
  park<T>(id: string, wait: () => Promise<T>): Promise<T>;
  /**
   * Cut-through at creation: a slot for one transaction about to be created, with the lease to
   * create it under (in flight, first attempt open); undefined when this replica is full or
   * stopping, or `senderId` holds its share of slots while other senders' work waits. The
   * caller either `run`s what it created claimed or `release`s the slot.
   */
  reserve(senderId?: string): CutThroughSlot | undefined;
  /** Ids of the attempts running on this replica. */
  inflight(): string[];
  /** Attempts working (holding a slot) and waiting (parked, no slot) on this replica. */
  load(): { working: number; waiting: number };
  /** One retention pass now (it also runs periodically). */
  runRetention(): Promise<import('./retention.ts').RetentionResult>;
  /**
   * Graceful stop: no more claims, waits for in-flight attempts up to the deadline, gives
   * back the leases still held (queued, due now) and deregisters.
   */
  stop(options?: StopOptions): Promise<void>;
}

/** What a cut-through claim may take for this replica: the lease, how many, and the senders
 * that hold their share of slots while others' work waits. */
export interface ClaimTerms {
  owner: string;
  leaseMs: number;
  limit: number;
  skip: string[];
}

export interface CutThroughSlot {
  lease: { owner: string; leaseMs: number };
  /** Starts the attempt of a transaction created under `lease`. */
  run(claimed: ClaimedTransaction): void;
  /** Nothing was created under the lease (not deliverable in one statement, or a failure). */
  release(): void;
}
