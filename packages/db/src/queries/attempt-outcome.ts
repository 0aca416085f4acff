import { sql } from 'drizzle-orm';
import { announceChanges, notifyMode } from '../client/change-hints.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Pending, tickBatcher } from '../client/tick-batch.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { events } from '../schema/events/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import type { EventInput } from './events.ts';

export type AttemptResult = Pick<
  Attempt,
  'outcome' | 'upstreamHost' | 'mailResponse' | 'rcptResponse' | 'dataResponse' | 'error'
> &
  Partial<Pick<Attempt, 'chainName' | 'chainVersion'>>;

/** The transaction's state after an attempt; the lease is cleared and the version bumped. */
export type OutcomeState = Pick<
  Transaction,
  | 'status'
  | 'mailResponse'
  | 'rcptResponse'
  | 'dataResponse'
  | 'attemptCount'
  | 'nextAttemptAt'
  | 'finalAttemptReason'
  | 'finishedAt'
>;

export interface OutcomeWrite {
  transactionId: string;
  attemptId: string;
  owner: string;
  /** The version the row had when it was claimed: nothing is written if it moved since. */
  version: number;
  attempt: AttemptResult;
  state: OutcomeState;
  /** Timeline events, written only with the rest. */
  events: EventInput[];
}

/**
 * Writes an attempt's outcome in one statement — the transaction row, the attempt row and the
 * timeline, as sub-statements of one CTE — when nothing touched the row since it was claimed:
 * still in flight under this owner, at the claimed `version` (a cancel request, a hold or a
 * PATCH bump it), and the attempt still open (a takeover closes it). Returns the updated row,
 * or undefined having written nothing: the caller then takes the locking path.
 *
 * Outcomes written in the same tick share one statement (and one commit): under load the
 * engine records many attempts at once. Rows are independent — each is guarded by its own
 * lease and version — and other writers never wait on these locks in a cycle (claims skip
 * locked rows; other writes lock one transaction row).
 */
export const writeOutcomeIfUnchanged: (
  db: DbOrTx,
  input: OutcomeWrite,
) => Promise<Transaction | undefined> = tickBatcher(writeOutcomes);

async function writeOutcomes(
  db: DbOrTx,
  items: Pending<OutcomeWrite, Transaction | undefined>[],
): Promise<void> {
  try {
    const json = (v: unknown) => (v === undefined ? null : v);
    const notify = notifyMode(db);
    const rows = await executeTemplate<{ t: Record<string, unknown>; finished: boolean }>(
      db,
      'outcomes',
      outcomesStatement,
      {
        rows: JSON.stringify(
          items.map(({ input: { state, attempt, ...i } }) => ({
            transaction_id: i.transactionId,
            owner: i.owner,
            version: i.version,
            attempt_id: i.attemptId,
            status: state.status,
            mail_response: json(state.mailResponse),
            rcpt_response: json(state.rcptResponse),
            data_response: json(state.dataResponse),
            attempt_count: state.attemptCount,
            next_attempt_at: state.nextAttemptAt?.toISOString() ?? null,
            final_attempt_reason: state.finalAttemptReason,
            finished_at: state.finishedAt?.toISOString() ?? null,
            outcome: attempt.outcome,
            upstream_host: attempt.upstreamHost,
            a_mail: json(attempt.mailResponse),
            a_rcpt: json(attempt.rcptResponse),
            a_data: json(attempt.dataResponse),
            error: attempt.error,
            chain_name: attempt.chainName ?? null,
            chain_version: attempt.chainVersion ?? null,
          })),
        ),
        timeline: JSON.stringify(
          items.flatMap(({ input }) =>
            input.events.map((e) => ({
              transaction_id: e.transactionId,
              attempt_id: e.attemptId ?? null,
              type: e.type,
              data: e.data ?? {},
            })),
          ),
        ),
        notify: notify.mode,
      },
    );
    announceChanges(
      notify.pool,
      rows.map((r) => ({ id: r.t.id as string, version: r.t.version as number })),
    );
    const written = new Map(rows.map((r) => [r.t.id as string, r]));
    for (const { input, resolve, reject } of items) {
      const row = written.get(input.transactionId);
      if (!row) resolve(undefined);
      // Cannot happen while takeovers close attempts in the statement that moves the lease.
      else if (!row.finished) {
        reject(new Error(`attempt ${input.attemptId} was closed while its lease was held`));
      } else resolve(mapRow(transactions, row.t));
    }
  } catch (err) {
    for (const { reject } of items) reject(err);
  }
}

function outcomesStatement() {
  return sql`
    with i as (
      select x.*, set_config('koukan.notify', ${sql.placeholder('notify')}, true) as notify
      from koukan_batch_rows(${sql.placeholder('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(
        transaction_id uuid, owner uuid, version int, attempt_id uuid, status text,
        mail_response jsonb, rcpt_response jsonb, data_response jsonb, attempt_count int,
        next_attempt_at timestamptz, final_attempt_reason text, finished_at timestamptz,
        outcome text, upstream_host text, a_mail jsonb, a_rcpt jsonb, a_data jsonb, error text,
        chain_name text, chain_version int)
    ), u as (
      update ${transactions} t set
        status = i.status, mail_response = i.mail_response, rcpt_response = i.rcpt_response,
        data_response = i.data_response, attempt_count = i.attempt_count,
        next_attempt_at = i.next_attempt_at, final_attempt_reason = i.final_attempt_reason,
        finished_at = i.finished_at, lease_owner = null, lease_expires_at = null,
        version = t.version + 1, updated_at = now()
      from i
      where t.id = i.transaction_id and t.status = 'inflight'
        and t.lease_owner = i.owner and t.version = i.version
      returning t.*
    ), f as (
      update ${attempts} a set
        outcome = i.outcome, upstream_host = i.upstream_host, mail_response = i.a_mail,
        rcpt_response = i.a_rcpt, data_response = i.a_data, error = i.error, finished_at = now(),
        chain_name = i.chain_name, chain_version = i.chain_version
      from i
      where a.id = i.attempt_id and a.finished_at is null
        and i.transaction_id in (select id from u)
      returning a.transaction_id
    ), e as (
      insert into ${events} (transaction_id, attempt_id, type, data)
      select x.transaction_id, x.attempt_id, x.type, x.data
      from koukan_batch_rows(${sql.placeholder('timeline')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v)
        as x(transaction_id uuid, attempt_id uuid, type text, data jsonb)
      where x.transaction_id in (select transaction_id from f)
    )
    select row_to_json(u) as t, u.id in (select transaction_id from f) as finished from u`;
}
