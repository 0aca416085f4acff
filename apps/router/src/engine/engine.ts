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
import type { EngineHandle, EngineOptions } from './types.ts';

/**
 * Starts a delivery engine replica: registers it in `instances` and heartbeats, loads the live
 * configuration, and claims due work into leases every `pollIntervalMs` (at once again after a
 * full batch), running at most `concurrency` attempts. `kick(id)` runs a new transaction at once.
 * Resolves once the first claim pass has run.
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
  /** Slots promised to transactions being created (cut-through), not yet running. */
  let reserved = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
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

  function launch(claimed: ClaimedTransaction) {
    const id = claimed.transaction.id;
    // Re-claimed our own expired lease (renewals failed, e.g. a database outage): the old
    // attempt was recorded as abandoned and must stop.
    running.get(id)?.abort('lease_lost');
    const attempt = runAttempt(deps, claimed);
    running.set(id, attempt);
    if (claimed.abandoned) {
      logger.warn(
        { transactionId: id, previousOwner: claimed.abandoned.instanceId },
        'took over an expired lease',
      );
    }
    void attempt.done.finally(() => {
      if (running.get(id) === attempt) running.delete(id);
      wake?.(); // a slot is free
    });
  }

  async function claim(limit: number, id?: string): Promise<number> {
    const claimed = await claimTransactions(db, {
      owner,
      leaseMs,
      limit,
      exclude: [...running.keys()],
      ...(id && { id }),
    });
    for (const c of claimed) launch(c);
    return claimed.length;
  }

  let firstPassDone!: () => void;
  const firstPass = new Promise<void>((resolve) => {
    firstPassDone = resolve;
  });
  const loop = (async () => {
    while (!stopping) {
      const free = concurrency - running.size - reserved;
      if (free <= 0) {
        await nap(pollIntervalMs);
        continue;
      }
      const limit = free;
      let n = 0;
      try {
        n = await claim(limit);
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

  logger.info({ concurrency, leaseMs }, 'delivery engine started');
  return {
    instanceId: owner,
    config,
    async kick(id) {
      if (stopping || running.has(id) || running.size + reserved >= concurrency) return false;
      try {
        return (await claim(1, id)) === 1;
      } catch (err) {
        logger.warn({ err, transactionId: id }, 'cut-through claim failed');
        return false;
      }
    },
    reserve() {
      if (stopping || running.size + reserved >= concurrency) return undefined;
      reserved++;
      let open = true;
      const close = () => {
        if (!open) return false;
        open = false;
        reserved--;
        return true;
      };
      return {
        lease: { owner, leaseMs },
        run(claimed) {
          if (!close()) return;
          if (!stopping) return launch(claimed);
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
