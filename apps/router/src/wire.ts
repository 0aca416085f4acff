import type { ChainContext } from '@koukan/chain';
import type { Db, DbHandle } from '@koukan/db';
import type { DsnOptions } from '@koukan/services';
import type { Logger } from 'pino';
import type { BuildAppOptions } from './app.ts';
import { routeSubmitter, sandboxStore } from './delivery/chain-ports.ts';
import { createChainRunner } from './engine/chain-runner.ts';
import { startEngine } from './engine/engine.ts';
import type { AttemptRunner, EngineHandle, EngineOptions } from './engine/types.ts';
import { createExploderFilter } from './exploder/exploder-filter.ts';
import { TransactionWatcher } from './long-poll/watcher.ts';

/** The engine's own options (concurrency, leases, retention, …). */
export type EngineSettings = Partial<
  Omit<EngineOptions, 'db' | 'pool' | 'logger' | 'dsn' | 'runner'>
>;

export interface WireOptions {
  db: Db;
  pool: DbHandle['pool'];
  logger: Logger;
  dsn: DsnOptions;
  /** The filters' context (logger, DNS, secrets, hostname); the sandbox and route stores are
   * added for the engine's chains. */
  context: ChainContext;
  /** false: this process runs no engine. */
  engine: EngineSettings | false;
  /** Wraps the chain runner (a test delivers some transactions elsewhere). */
  runner?: (chains: AttemptRunner) => AttemptRunner;
}

export type Wired = Awaited<ReturnType<typeof wireEngine>>;

/**
 * A router process's delivery side, as main.ts runs it: one change watcher (the long-poll and the
 * exploder's fan-in wait on it), the exploder, and the engine running the chains with it.
 */
export async function wireEngine(options: WireOptions) {
  const { db, pool, logger, dsn, context } = options;
  const watcher = new TransactionWatcher({
    pool,
    logger: logger.child({ component: 'long-poll' }),
    applicationName: 'koukan-router-listen',
  });
  await watcher.start();
  let engine: EngineHandle | undefined;
  if (options.engine) {
    // The exploder fans SMTP transactions out per recipient; it starts their upstreams at once
    // and waits for them parked (no engine slot), woken by the watcher.
    const exploder = createExploderFilter({
      db,
      logger: logger.child({ module: 'exploder' }),
      watcher,
      engine: () => engine,
      dsn,
    });
    const chains = createChainRunner({
      db,
      context: { ...context, sandbox: sandboxStore(db), routes: routeSubmitter(db) },
      implementations: { exploder },
    });
    engine = await startEngine({
      db,
      pool,
      logger: logger.child({ module: 'engine' }),
      runner: options.runner?.(chains) ?? chains,
      dsn,
      // An outcome written here wakes this process's long-polls and fan-ins at once.
      onRecorded: (id) => watcher.hint(id),
      ...options.engine,
    });
  }
  // Cut-through: the replica that stores a deliverable transaction runs it at once.
  const kick = (id: string) => void engine?.kick(id);
  // buildApp's share: the watcher, the live configuration, cut-through and its kicks
  const app: Partial<BuildAppOptions> = {
    watcher,
    ...(engine && { config: engine.config, cutThrough: engine }),
    onTransactionCreated: kick,
    onBodyFinalized: kick,
    exploderContext: context,
  };
  return { watcher, engine, app };
}
