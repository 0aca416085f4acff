import {
  channels,
  configFingerprint,
  type Db,
  type DbHandle,
  listChains,
  listSenders,
} from '@koukan/db';
import type { Chain, Sender } from '@koukan/db/schema';
import pg from 'pg';
import type { Logger } from 'pino';

export interface ConfigCache {
  getSender(nameOrId: string): Sender | undefined;
  getChain(name: string): Chain | undefined;
  /** The fingerprint of the configuration currently loaded. */
  readonly fingerprint: string;
  /** Reloads when the fingerprint changed; true when it did. */
  refresh(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Senders and chains as the database has them, reloaded when `configFingerprint()` changes:
 * polled every `pollMs`, and at once on a NOTIFY on the config channel (a hint only — the
 * embedded database does not deliver notifications across connections, so polling stays).
 */
export async function startConfigCache(options: {
  db: Db;
  pool?: DbHandle['pool'];
  logger: Logger;
  pollMs?: number;
}): Promise<ConfigCache> {
  const { db, logger } = options;
  let fingerprint = '';
  let byName = new Map<string, Sender>();
  let byId = new Map<string, Sender>();
  let chains = new Map<string, Chain>();
  let running: Promise<boolean> | undefined;
  let stopped = false;

  async function load(): Promise<boolean> {
    const f = await configFingerprint(db);
    if (f === fingerprint) return false;
    const [senders, chainRows] = await Promise.all([listSenders(db), listChains(db)]);
    byName = new Map(senders.map((s) => [s.name, s]));
    byId = new Map(senders.map((s) => [s.id, s]));
    chains = new Map(chainRows.map((c) => [c.name, c]));
    fingerprint = f;
    logger.info({ senders: senders.length, chains: chainRows.length }, 'configuration loaded');
    return true;
  }
  /**
   * One load at a time. A caller arriving during a load gets the next one, which starts when
   * that load ends (a load already running may have read before the change the caller knows
   * of); callers arriving meanwhile share that next load.
   */
  let next: Promise<boolean> | undefined;
  function refresh(): Promise<boolean> {
    if (!running) {
      running = load().finally(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running
      .catch(() => false)
      .then(() => {
        next = undefined;
        return refresh();
      });
    return next;
  }

  await refresh();
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => logger.warn({ err }, 'configuration refresh failed'));
  }, options.pollMs ?? 1000);
  timer.unref();

  let listener: pg.Client | undefined;
  if (options.pool) {
    const client = new pg.Client({ connectionString: options.pool.options.connectionString });
    try {
      await client.connect();
      client.on('error', (err) => logger.warn({ err }, 'config listener connection lost'));
      client.on('notification', () => {
        if (!stopped) refresh().catch(() => {});
      });
      await client.query(`LISTEN ${channels.config}`);
      listener = client;
    } catch (err) {
      logger.warn({ err }, 'cannot LISTEN for configuration changes; polling only');
      await client.end().catch(() => {});
    }
  }

  return {
    getSender: (key) => byId.get(key) ?? byName.get(key),
    getChain: (name) => chains.get(name),
    get fingerprint() {
      return fingerprint;
    },
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
      await listener?.end().catch(() => {});
    },
  };
}
