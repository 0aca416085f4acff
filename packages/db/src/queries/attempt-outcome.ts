import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { events } from '../schema/events/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import type { EventInput } from './events.ts';

export type AttemptResult = Pick<
  Attempt,
  'outcome' | 'upstreamHost' | 'mailResponse' | 'rcptResponse' | 'dataResponse' | 'error'
>;

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
 * The transactions row is updated (and locked) first, then the attempt, as a claim does, so
 * the two cannot deadlock; each UPDATE re-checks its condition on the latest row version.
 * The statement is prepared once (a template); values are encoded here.
 */
export async function writeOutcomeIfUnchanged(
  db: DbOrTx,
  input: OutcomeWrite,
): Promise<Transaction | undefined> {
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const { state, attempt } = input;
  const rows = await executeTemplate<{ t: Record<string, unknown>; finished: boolean }>(
    db,
    'outcome',
    () => outcomeStatement(),
    {
      transactionId: input.transactionId,
      owner: input.owner,
      version: input.version,
      attemptId: input.attemptId,
      status: state.status,
      mailResponse: json(state.mailResponse),
      rcptResponse: json(state.rcptResponse),
      dataResponse: json(state.dataResponse),
      attemptCount: state.attemptCount,
      nextAttemptAt: state.nextAttemptAt?.toISOString() ?? null,
      finalAttemptReason: state.finalAttemptReason,
      finishedAt: state.finishedAt?.toISOString() ?? null,
      outcome: attempt.outcome,
      upstreamHost: attempt.upstreamHost,
      attemptMail: json(attempt.mailResponse),
      attemptRcpt: json(attempt.rcptResponse),
      attemptData: json(attempt.dataResponse),
      error: attempt.error,
      timeline: JSON.stringify(
        input.events.map((e) => ({
          transaction_id: e.transactionId,
          attempt_id: e.attemptId ?? null,
          type: e.type,
          data: e.data ?? {},
        })),
      ),
    },
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.finished) {
    // Cannot happen while takeovers close attempts in the statement that moves the lease.
    throw new Error(`attempt ${input.attemptId} was closed while its lease was held`);
  }
  return mapRow(transactions, row.t);
}

const p = (name: string) => sql`${sql.placeholder(name)}`;

function outcomeStatement() {
  const t = transactions;
  const a = attempts;
  return sql`
    with u as (
      update ${t} set
        status = ${p('status')}, mail_response = ${p('mailResponse')},
        rcpt_response = ${p('rcptResponse')}, data_response = ${p('dataResponse')},
        attempt_count = ${p('attemptCount')}, next_attempt_at = ${p('nextAttemptAt')},
        final_attempt_reason = ${p('finalAttemptReason')}, finished_at = ${p('finishedAt')},
        lease_owner = null, lease_expires_at = null,
        version = version + 1, updated_at = now()
      where id = ${p('transactionId')} and status = 'inflight'
        and lease_owner = ${p('owner')} and version = ${p('version')}
      returning *
    ), f as (
      update ${a} set
        outcome = ${p('outcome')}, upstream_host = ${p('upstreamHost')},
        mail_response = ${p('attemptMail')}, rcpt_response = ${p('attemptRcpt')},
        data_response = ${p('attemptData')}, error = ${p('error')}, finished_at = now()
      where id = ${p('attemptId')} and finished_at is null and exists (select 1 from u)
      returning id
    ), e as (
      insert into ${events} (transaction_id, attempt_id, type, data)
      select x.transaction_id, x.attempt_id, x.type, x.data
      from jsonb_to_recordset(${p('timeline')}::jsonb)
        as x(transaction_id uuid, attempt_id uuid, type text, data jsonb)
      where exists (select 1 from f)
    )
    select row_to_json(u) as t, exists (select 1 from f) as finished from u`;
}
