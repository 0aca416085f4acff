import { type FilterRun, temp, type Verdict } from '@koukan/chain';
import {
  appendEvent,
  applyTransition,
  type Db,
  getTransaction,
  schema,
  shareBodyWithUpstreams,
  updateTransaction,
} from '@koukan/db';
import { isAllowed, isFinalStatus, type Transaction } from '@koukan/db/schema';
import { type DsnOptions, generateDsn, recipientDsnOf, wantsDsn } from '@koukan/services';
import { and, eq, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import {
  fanIn,
  type UpstreamFollowUp,
  type UpstreamOutcome,
  upstreamOutcome,
  verdictOf,
} from './fan-in.ts';

/** Change notifications of transactions (the router's `TransactionWatcher`). */
export interface ChangeWatcher {
  waitForAny(
    watched: { id: string; version: number }[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<'changed' | 'timeout' | 'closed'>;
}

export interface ExploderDeps {
  db: Db;
  logger: Logger;
  /** Wakes the fan-in when an upstream changes: NOTIFY hints, in-process hints from the
   * engine, and the watcher's one fallback poll for every watched row (no per-waiter polling). */
  watcher: ChangeWatcher;
  /** Starts upstream transactions at once (the engine handle's `kickAll`); the engine's poll
   * loop picks them up anyway when this is absent or declines. */
  kickAll?: (ids: string[]) => Promise<string[]>;
  /** Runs the wait for the upstreams without holding an engine slot (the engine's `park`). */
  park?: <T>(id: string, wait: () => Promise<T>) => Promise<T>;
  /** For DSNs of upstreams that failed for good while the client was told 250. */
  dsn?: DsnOptions;
  now?: () => Date;
}

const t = schema.transactions;
/** Stop waiting this long before the filter's own timeout, so the fan-in answers first. */
const MARGIN_S = 2;

/** The upstream transactions exploded from `downstreamId`, by recipient index. */
async function upstreamsOf(db: Db, downstreamId: string): Promise<Map<number, Transaction>> {
  return (await familyOf(db, downstreamId)).upstreams;
}

/** The downstream and its upstreams, in one query. */
async function familyOf(db: Db, downstreamId: string) {
  const rows = await db
    .select()
    .from(t)
    .where(
      or(
        eq(t.id, downstreamId),
        and(eq(t.parentId, downstreamId), sql`${t.metadata}->>'exploded_from' = ${downstreamId}`),
      ),
    );
  const upstreams = new Map<number, Transaction>();
  let downstream: Transaction | undefined;
  for (const r of rows) {
    if (r.id === downstreamId) downstream = r;
    else upstreams.set(Number(r.metadata.rcpt_index), r);
  }
  return { downstream, upstreams };
}

/**
 * The delivery engine's `exploder` (DATA phase): the envelope phase (packages/services
 * `exploder/envelope.ts`) created one upstream transaction per accepted recipient; this shares
 * the downstream's body blob with each, makes them due and starts them at once (cut-through),
 * waits up to `data_timeout` for each one's first attempt — parked, holding no engine slot,
 * woken by change notifications — and answers DATA with the fan-in (`fanIn`). Recipients
 * without an upstream keep the answer they got at RCPT.
 */
export function createExploderFilter(deps: ExploderDeps): FilterRun<'exploder'> {
  const now = deps.now ?? (() => new Date());
  return async (tx, config, ctx) => {
    const { downstream, upstreams } = await familyOf(deps.db, tx.id);
    if (!downstream?.bodyBlobId) {
      return { kind: 'done', data: temp('the downstream transaction has no stored body') };
    }
    // Every recipient accepted at RCPT has its upstream and takes part in the fan-in, even one
    // a filter before the exploder refuses now (the client was told 250 at RCPT and only reads
    // the DATA answer). A recipient without one keeps the answer it got at RCPT.
    const waiting = [...upstreams.entries()].sort(([a], [b]) => a - b).map(([, up]) => up);
    const rcpt: (Verdict | undefined)[] = tx.active.map((i) => {
      if (upstreams.has(i)) return undefined;
      const answered = downstream.rcptResponse?.[i];
      return answered && answered.code >= 400
        ? verdictOf(answered)
        : temp('no upstream transaction for this recipient', 451, '4.3.0');
    });
    if (waiting.length === 0)
      return { kind: 'done', rcpt, data: temp('no recipient was accepted', 554, '5.5.1') };

    // Hand the body over (one statement) and start the upstreams at once.
    const shared = await shareBodyWithUpstreams(deps.db, {
      downstreamId: tx.id,
      blobId: downstream.bodyBlobId,
      ids: waiting.map((u) => u.id),
    });
    const sharedIds = shared.map((s) => s.id);
    const kicked = new Set<string>();
    if (shared.length > 0 && deps.kickAll) {
      const started = await deps.kickAll(sharedIds).catch((err: unknown) => {
        ctx.logger.warn({ err, upstreams: sharedIds }, 'starting the upstreams failed');
        return [];
      });
      for (const id of started) kicked.add(id);
    }
    // The versions the upstreams are at now, when known without reading them: the hand-over's,
    // one more for those this replica claimed (the claim's). A wrong guess only costs a read
    // (the watcher wakes on any other version); a right one saves the read before the wait.
    let known: { id: string; version: number }[] | undefined =
      shared.length === waiting.length
        ? shared.map((s) => ({ id: s.id, version: s.version + (kicked.has(s.id) ? 1 : 0) }))
        : undefined;
    tx.event('exploded', { upstreams: waiting.map((u) => u.id) });

    const budget = Math.max(1, Math.min(config.data_timeout, (config.timeout ?? 300) - MARGIN_S));
    const deadline = Date.now() + budget * 1000;
    const outcomes = new Map<string, UpstreamOutcome>();
    const rows = new Map<string, Transaction>();
    const settle = (current: Map<number, Transaction>) => {
      const byId = new Map([...current.values()].map((r) => [r.id, r]));
      const pending: { id: string; version: number }[] = [];
      for (const up of waiting) {
        if (outcomes.has(up.id)) continue;
        const row = byId.get(up.id);
        const o = row && upstreamOutcome(row);
        if (row && o) {
          outcomes.set(up.id, o);
          rows.set(up.id, row);
        } else if (row) pending.push({ id: row.id, version: row.version });
      }
      return pending;
    };
    // Waiting is not work: no engine slot and no polling while the upstreams run; each change
    // notification of a pending upstream re-reads them once.
    const wait = async () => {
      for (;;) {
        const pending = known ?? settle(await upstreamsOf(deps.db, tx.id));
        known = undefined;
        const left = deadline - Date.now();
        if (pending.length === 0 || left <= 0 || ctx.signal.aborted) return;
        const r = await deps.watcher.waitForAny(pending, left, ctx.signal);
        if (r === 'closed') return;
      }
    };
    await (deps.park ? deps.park(tx.id, wait) : wait());
    const list = waiting.map(
      (up): UpstreamOutcome =>
        outcomes.get(up.id) ?? {
          kind: 'timeout',
          verdict: temp('upstream did not answer in time', 451, '4.4.7'),
        },
    );
    const result = fanIn(list, config.msa);
    await followUp(deps, config, waiting, rows, result.followUps, ctx.logger, now());
    return { kind: 'done', rcpt, data: result.data };
  };
}

async function followUp(
  deps: ExploderDeps,
  config: Parameters<FilterRun<'exploder'>>[1],
  waiting: Transaction[],
  rows: Map<string, Transaction>,
  actions: UpstreamFollowUp[],
  logger: Logger,
  now: Date,
): Promise<void> {
  const notification = {
    enabled: config.notification.enabled,
    ...(config.notification.sender && { sender: config.notification.sender }),
  };
  for (const [k, up] of waiting.entries()) {
    const action = actions[k]!;
    // delivered within the fan-in: a success DSN when its recipient's NOTIFY asks for one
    const success =
      action === 'none' &&
      config.notification.enabled &&
      up.rcptTo.some((r) => wantsDsn(recipientDsnOf(r.e), 'SUCCESS'));
    if (action === 'none' && !success) continue;
    try {
      await deps.db.transaction(async (db) => {
        const row = await getTransaction(db, up.id);
        if (!row) return;
        const final = isFinalStatus(row.status);
        if (action === 'retry_and_notify' && !final) {
          await updateTransaction(db, row.id, { notification });
        } else if (action === 'cancel' && isAllowed('cancel', row.status)) {
          const data = { reason: 'the client was told to retry', downstream: row.parentId };
          await applyTransition(db, {
            name: 'cancel',
            rows: [row],
            actor: 'system:exploder',
            now,
            data,
          });
        } else if (
          deps.dsn &&
          ((action === 'notify_failure' && row.status === 'failed') ||
            (action === 'retry_and_notify' && row.status === 'failed') ||
            (success && row.status === 'delivered'))
        ) {
          // failed for good while the client was told 250, or delivered and the recipient
          // asked NOTIFY=SUCCESS: a DSN now
          const seen = rows.get(up.id) ?? row;
          await generateDsn(db, {
            original: row,
            policy: notification,
            kind: row.status === 'delivered' ? 'success' : 'failure',
            verdict: {
              ...(seen.mailResponse && { mailResponse: seen.mailResponse }),
              ...(seen.rcptResponse && { rcptResponse: seen.rcptResponse }),
              ...(seen.dataResponse && { dataResponse: seen.dataResponse }),
            },
            reason: row.finalAttemptReason ?? 'failed',
            now,
            options: deps.dsn,
          });
        } else {
          return;
        }
        await appendEvent(db, {
          transactionId: row.id,
          type: 'exploder_follow_up',
          data: { action },
        });
      });
    } catch (err) {
      logger.warn({ err, upstream: up.id, action }, 'exploder follow-up failed');
    }
  }
}
