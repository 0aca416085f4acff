import type { ChainContext } from '@koukan/chain';
import type { Db } from '@koukan/db';
import type { LongPollLimiter } from '@koukan/protocol/server';
import type { Authenticate, ConfigView } from '@koukan/services';
import type { EngineHandle } from '../engine/types.ts';
import type { TransactionWatcher } from '../long-poll/watcher.ts';

/** What the route modules need from buildApp. */
export interface RouteDeps {
  db: Db;
  /** The live configuration (the engine's cache) for the request path; absent: read the database. */
  config: ConfigView | undefined;
  /** API-key authentication, remembering principals for a moment (`authCacheMs`). */
  authenticate: Authenticate;
  watcher: TransactionWatcher;
  /** Concurrent long-polls per API key. */
  longPolls: LongPollLimiter;
  maxBodyBytes: number;
  uploadIdleTimeoutMs: number;
  /** The engine of this process, for cut-through at creation (see EngineHandle.reserve) and
   * the outcomes of its attempts (EngineHandle.recorded). */
  cutThrough: CutThrough | undefined;
  onTransactionCreated: ((id: string) => void) | undefined;
  onBodyFinalized: ((id: string) => void) | undefined;
  /** Chain context of the exploder's envelope phase (filters before the exploder). */
  exploderContext: ChainContext | undefined;
}

export type CutThrough = Pick<EngineHandle, 'reserve' | 'recorded'>;

export const security = [{ bearerAuth: [] }];

/** Runs a hook after commit; a failing hook never fails the request. */
export function fire(
  hook: ((id: string) => void) | undefined,
  id: string,
  log: { warn: (o: object, m: string) => void },
) {
  if (!hook) return;
  try {
    hook(id);
  } catch (err) {
    log.warn({ err, transactionId: id }, 'hook failed');
  }
}
