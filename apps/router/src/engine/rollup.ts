import { type Db, runRollupPass } from '@koukan/db';
import type { Logger } from 'pino';

export interface RollupOptions {
  /** How often each replica tries a pass (one runs at a time across replicas). Default 15 s. */
  intervalMs?: number;
  /**
   * How long an event id range is left to settle before it is counted: longer than any write
   * transaction runs. Default 20 s (the dashboard trails by up to lag × 2 + interval).
   */
  lagMs?: number;
}

export interface RollupJob {
  /** Runs one pass now (tests, shutdown). */
  runOnce(): ReturnType<typeof runRollupPass>;
  stop(): Promise<void>;
}

/**
 * The engine-maintained dashboard rollup: every `intervalMs`, one pass of runRollupPass
 * (events since the watermark → delivery_rollup and deferral_rollup). Several replicas may run
 * it; the advisory lock lets one pass through at a time and the watermark makes it idempotent.
 */
export function startRollupJob(db: Db, logger: Logger, options: RollupOptions = {}): RollupJob {
  const lagMs = options.lagMs ?? 20_000;
  let current: Promise<unknown> = Promise.resolve();
  const runOnce = () => {
    const pass = runRollupPass(db, { lagMs });
    current = pass.catch(() => {});
    return pass;
  };
  const timer = setInterval(() => {
    runOnce().then(
      (r) => {
        if (r.rows) logger.debug(r, 'rollup pass');
      },
      (err: unknown) => logger.warn({ err }, 'rollup pass failed'),
    );
  }, options.intervalMs ?? 15_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
