import { hostname } from 'node:os';
import {
  type ClaimedTransaction,
  claimTransactions,
  deregisterInstance,
  ensureInstance,
  heartbeatInstance,
  markInstanceStopping,
  registerInstance,
  releaseLeases,
} from '@koukan/db';
import { type RunningAttempt, runAttempt } from './attempt.ts';
import { startConfigCache } from './config-cache.ts';
import { retentionDefaults, runRetentionPass } from './retention.ts';
import { startRollupJob } from './rollup.ts';
import { Slots } from './slots.ts';
import type { ClaimTerms, EngineHandle, EngineOptions } from './types.ts';

/**
 * Starts a delivery engine replica: registers it in `instances` and heartbeats, loads the live
 * configuration, and claims due work into leases every `pollIntervalMs` (at once again after a
 * full batch or when a slot frees), with at most `concurrency` attempts working; attempts that
 * wait for others (`park`) hold no slot. Slots are shared fairly between senders (`Slots`).
 * `kick(id)` runs a new transaction at once. Resolves once the first claim pass has run.
 */
export async function startEngine(options: EngineOptions): Promise<EngineHandle> {
  const { db, logger: baseLogger } = options;
  const concurrency = options.concurrency ?? 64;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const now = options.now ?? (() => new Date());
  const instance = await registerInstance(db, { kind: 'router', version: options.version ?? '' });
  const owner = instance.id;
  const logger = baseLogger.child({ component: 'engine', instanceId: owner });
  const config = await startConfigCache({
    db,
    ...(options.pool && { pool: options.pool }),
    logger,
    pollMs: options.configPollMs ?? 1000,
  });
  const deps = {
    db,
    logger,
    runner: options.runner,
    config,
    owner,
    leaseMs,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 300_000,
    dsn: options.dsn,
    now,
  };

  const running = new Map<string, RunningAttempt>();
  let stopping = false;
  let wake: (() => void) | undefined;
  // A freed slot starts a claim pass at once only when due work was left waiting; otherwise
  // new work arrives by cut-through, or the next pass finds it.
  const slots = new Slots(concurrency, () => {
    if (slots.contended) wake?.();
  });
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wake = undefined;
    });

  // Bodies held in memory by running attempts, by blob id: an attempt claimed for the same
  // (finalized, so immutable) blob — the exploder's upstreams share the downstream's — reads
  // it from here instead of from the database.
  const bodies = new Map<string, { bytes: Buffer; users: number }>();
  function holdBody(claimed: ClaimedTransaction): ClaimedTransaction {
    const blobId = claimed.transaction.bodyBlobId;
    if (!blobId) return claimed;
    const held = bodies.get(blobId);
    if (held) {
      held.users++;
      return claimed.body ? claimed : { ...claimed, body: held.bytes };
    }
    if (claimed.body) bodies.set(blobId, { bytes: claimed.body, users: 1 });
    return claimed;
  }
  function dropBody(claimed: ClaimedTransaction) {
    const blobId = claimed.transaction.bodyBlobId;
    const held = blobId ? bodies.get(blobId) : undefined;
    if (held && --held.users === 0) bodies.delete(blobId!);
  }

  function launch(given: ClaimedTransaction) {
    const claimed = holdBody(given);
    const id = claimed.transaction.id;
    // Re-claimed our own expired lease (renewals failed, e.g. a database outage): the old
    // attempt was recorded as abandoned and must stop.
    running.get(id)?.abort('lease_lost');
    const attempt = runAttempt(deps, claimed);
    running.set(id, attempt);
    slots.take(id, claimed.transaction.senderId);
    if (claimed.abandoned) {
      logger.warn(
        { transactionId: id, previousOwner: claimed.abandoned.instanceId },
        'took over an expired lease',
      );
    }
    void attempt.done.then(
      (end) => {
        dropBody(claimed);
        if (running.get(id) === attempt) {
          running.delete(id);
          slots.leave(id); // a slot is free
        }
        if (typeof end === 'object') options.onRecorded?.(id);
      },
      () => {},
    );
  }

  /**
   * Runs a claim (`run`, given this replica's terms) with up to `want` free slots held for it,
   * so concurrent claims never take more slots than there are; what it claimed starts at once.
   */
  async function claimWith<T extends { claimed: ClaimedTransaction[] }>(
    want: number,
    run: (terms: ClaimTerms) => Promise<T>,
  ): Promise<T> {
    const limit = stopping ? 0 : slots.hold(want);
    // Work left for the poll loop: it runs as soon as a slot frees.
    if (limit < want) slots.contended = true;
    try {
      const out = await run({ owner, leaseMs, limit, skip: slots.overShare() });
      for (const c of out.claimed) launch(c);
      return out;
    } finally {
      slots.unreserve(limit, false);
    }
  }

  /** Claims due work (fairly between senders), or the given transactions (cut-through). */
  async function claim(want: number, ids?: string[]): Promise<ClaimedTransaction[]> {
    const out = await claimWith(want, async ({ limit, skip }) => ({
      claimed:
        limit <= 0
          ? []
          : await claimTransactions(db, {
              owner,
              leaseMs,
              limit,
              exclude: slots.ids(),
              held: slots.held(),
              ...(ids && { ids }),
              ...(ids && skip.length && { skipSenders: skip }),
            }),
    }));
    return out.claimed;
  }

  let firstPassDone!: () => void;
  const firstPass = new Promise<void>((resolve) => {
    firstPassDone = resolve;
  });
  const loop = (async () => {
    while (!stopping) {
      const limit = slots.free;
      if (limit <= 0) {
        await nap(pollIntervalMs);
        continue;
      }
      let n = 0;
      try {
        n = (await claim(limit)).length;
        // Every free slot taken: more due work may wait, so cut-through yields to fairness.
        slots.contended = n === limit;
      } catch (err) {
        logger.error({ err }, 'claiming due work failed');
      }
      firstPassDone();
      if (n < limit && !stopping) await nap(pollIntervalMs);
    }
    firstPassDone();
  })();
  // Startup's first claim pass has run when startEngine resolves (what was due then is leased).
  await firstPass;

  const heartbeat = setInterval(async () => {
    try {
      if (!(await heartbeatInstance(db, owner))) {
        logger.warn('instance row was pruned; re-registering under the same id');
        await ensureInstance(db, {
          id: owner,
          kind: 'router',
          hostname: hostname(),
          pid: process.pid,
        });
      }
    } catch (err) {
      logger.warn({ err }, 'heartbeat failed');
    }
  }, options.heartbeatMs ?? 5000);
  heartbeat.unref();

  const retentionOptions =
    options.retention === false ? undefined : retentionDefaults(options.retention);
  const runRetention = async () => {
    const r = await runRetentionPass(db, retentionOptions ?? retentionDefaults(), now());
    logger.debug(r, 'retention pass');
    return r;
  };
  const retention =
    retentionOptions &&
    setInterval(() => {
      runRetention().catch((err: unknown) => logger.warn({ err }, 'retention pass failed'));
    }, retentionOptions.intervalMs);
  retention?.unref();
  const rollup = options.rollup === false ? undefined : startRollupJob(db, logger, options.rollup);

  async function kickAll(ids: string[]): Promise<string[]> {
    const wanted = ids.filter((id) => !slots.has(id));
    try {
      return (await claim(wanted.length, wanted)).map((c) => c.transaction.id);
    } catch (err) {
      logger.warn({ err, transactionIds: wanted }, 'cut-through claim failed');
      return [];
    }
  }

  logger.info({ concurrency, leaseMs }, 'delivery engine started');
  return {
    instanceId: owner,
    config,
    kick: async (id) => (await kickAll([id])).length === 1,
    claimWith,
    async recorded(id, timeoutMs, signal) {
      const attempt = running.get(id);
      if (!attempt || signal?.aborted) return undefined;
      let stop = () => {};
      const given = new Promise<undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        const abort = () => resolve(undefined);
        signal?.addEventListener('abort', abort, { once: true });
        stop = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
        };
      });
      const end = await Promise.race([attempt.done, given]).finally(stop);
      return typeof end === 'object' ? end : undefined;
    },
    async park(id, wait) {
      if (!running.has(id) || !slots.park(id)) return wait();
      try {
        return await wait();
      } finally {
        await slots.resume(id);
      }
    },
    reserve(senderId) {
      if (stopping || !slots.reserve(senderId)) return undefined;
      let open = true;
      const close = () => {
        if (!open) return false;
        open = false;
        slots.unreserve();
        return true;
      };
      return {
        lease: { owner, leaseMs },
        run(claimed) {
          if (!open) return;
          open = false;
          // The reserved slot passes to the attempt without ever being free in between.
          if (!stopping) {
            launch(claimed);
            slots.unreserve();
            return;
          }
          slots.unreserve();
          // Stopped while it was being created: give it back to the queue at once.
          releaseLeases(db, { owner, ids: [claimed.transaction.id] }).catch((err: unknown) =>
            logger.warn({ err }, 'releasing a cut-through lease at stop failed'),
          );
        },
        release() {
          if (close()) wake?.();
        },
      };
    },
    inflight: () => [...running.keys()],
    load: () => ({ working: slots.working, waiting: slots.waiting }),
    runRetention,
    async stop(stopOptions = {}) {
      if (stopping) return;
      stopping = true;
      wake?.();
      clearInterval(heartbeat);
      if (retention) clearInterval(retention);
      await rollup?.stop();
      await markInstanceStopping(db, owner).catch(() => {});
      await loop;
      const deadlineMs = stopOptions.deadlineMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running.values()].map((a) => a.done)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      for (const a of running.values()) a.abort('stopping');
      const released = await releaseLeases(db, { owner });
      if (released.length) logger.warn({ released }, 'released leases still held at stop');
      await Promise.allSettled([...running.values()].map((a) => a.done));
      await config.stop();
      await deregisterInstance(db, owner).catch(() => {});
      logger.info('delivery engine stopped');
    },
  };
}
