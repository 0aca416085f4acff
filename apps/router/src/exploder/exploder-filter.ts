import { type FilterRun, temp, type Verdict } from '@koukan/chain';
import {
  adjustBlobRefs,
  appendEvent,
  type Db,
  getTransaction,
  schema,
  updateTransaction,
} from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { type DsnOptions, generateDsn } from '@koukan/services';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import {
  fanIn,
  type UpstreamFollowUp,
  type UpstreamOutcome,
  upstreamOutcome,
  verdictOf,
} from './fan-in.ts';

export interface ExploderDeps {
  db: Db;
  logger: Logger;
  /** Starts an upstream transaction at once (the engine handle's `kick`); the engine's poll
   * loop picks it up anyway when this is absent or declines. */
  kick?: (id: string) => Promise<boolean> | boolean | undefined;
  /** For DSNs of upstreams that failed for good while the client was told 250. */
  dsn?: DsnOptions;
  /** How often the upstreams' state is read while waiting. Default 100 ms. */
  pollMs?: number;
  now?: () => Date;
}

const t = schema.transactions;
/** Stop waiting this long before the filter's own timeout, so the fan-in answers first. */
const MARGIN_S = 2;

/** The upstream transactions exploded from `downstreamId`, by recipient index. */
async function upstreamsOf(db: Db, downstreamId: string): Promise<Map<number, Transaction>> {
  const rows = await db
    .select()
    .from(t)
    .where(
      and(eq(t.parentId, downstreamId), sql`${t.metadata}->>'exploded_from' = ${downstreamId}`),
    );
  return new Map(rows.map((r) => [Number(r.metadata.rcpt_index), r]));
}

/**
 * The delivery engine's `exploder` (DATA phase): the envelope phase (packages/services
 * `exploder/envelope.ts`) created one upstream transaction per accepted recipient; this shares
 * the downstream's body blob with each, makes them due and kicks them, waits up to
 * `data_timeout` for each one's first attempt, and answers DATA with the fan-in
 * (`fanIn`). Recipients without an upstream keep the answer they got at RCPT.
 */
export function createExploderFilter(deps: ExploderDeps): FilterRun<'exploder'> {
  const pollMs = deps.pollMs ?? 100;
  const now = deps.now ?? (() => new Date());
  return async (tx, config, ctx) => {
    const downstream = await getTransaction(deps.db, tx.id);
    if (!downstream?.bodyBlobId) {
      return { kind: 'done', data: temp('the downstream transaction has no stored body') };
    }
    const blobId = downstream.bodyBlobId;
    const upstreams = await upstreamsOf(deps.db, tx.id);
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

    // Hand the body over; an upstream that has it already (a re-run) is left as it is.
    await deps.db.transaction(async (db) => {
      for (const up of waiting) {
        if (up.bodyBlobId || up.status !== 'queued') continue;
        await adjustBlobRefs(db, blobId, 1);
        await updateTransaction(db, up.id, { bodyBlobId: blobId, nextAttemptAt: now() });
        await appendEvent(db, {
          transactionId: up.id,
          type: 'body_shared',
          data: { downstream: tx.id },
        });
      }
    });
    for (const up of waiting) {
      Promise.resolve(deps.kick?.(up.id)).catch((err: unknown) =>
        ctx.logger.warn({ err, upstream: up.id }, 'kick failed'),
      );
    }
    tx.event('exploded', { upstreams: waiting.map((u) => u.id) });

    const budget = Math.max(1, Math.min(config.data_timeout, (config.timeout ?? 300) - MARGIN_S));
    const deadline = Date.now() + budget * 1000;
    const outcomes = new Map<string, UpstreamOutcome>();
    const rows = new Map<string, Transaction>();
    while (outcomes.size < waiting.length && Date.now() < deadline && !ctx.signal.aborted) {
      const current = await upstreamsOf(deps.db, tx.id);
      for (const up of waiting) {
        const row = [...current.values()].find((r) => r.id === up.id);
        const o = row && upstreamOutcome(row);
        if (row && o && !outcomes.has(up.id)) {
          outcomes.set(up.id, o);
          rows.set(up.id, row);
        }
      }
      if (outcomes.size < waiting.length) await new Promise((r) => setTimeout(r, pollMs));
    }
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
    if (action === 'none') continue;
    try {
      await deps.db.transaction(async (db) => {
        const row = await getTransaction(db, up.id);
        if (!row) return;
        const final =
          row.status === 'delivered' || row.status === 'failed' || row.status === 'cancelled';
        if (action === 'retry_and_notify' && !final) {
          await updateTransaction(db, row.id, { notification });
        } else if (action === 'cancel' && !final) {
          await updateTransaction(
            db,
            row.id,
            row.status === 'inflight'
              ? { cancelRequestedAt: now }
              : {
                  status: 'cancelled',
                  finalAttemptReason: 'cancelled',
                  finishedAt: now,
                  nextAttemptAt: null,
                  cancelRequestedAt: now,
                },
          );
        } else if (action !== 'cancel' && row.status === 'failed' && deps.dsn) {
          // failed for good while the client was told 250: a DSN now
          const seen = rows.get(up.id) ?? row;
          await generateDsn(db, {
            original: row,
            policy: notification,
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
