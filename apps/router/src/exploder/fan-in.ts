import { accept, type Verdict } from '@koukan/chain';
import { isFinalStatus, type SmtpResponse, type Transaction } from '@koukan/db/schema';
import { classifyVerdict, decisiveResponse } from '@koukan/services';

/** What one upstream transaction's first attempt came to, as the exploder sees it. */
export type UpstreamOutcome =
  | { kind: 'accept' | 'temp' | 'perm'; verdict: Verdict }
  | { kind: 'timeout'; verdict: Verdict };

/** What happens to one upstream after the fan-in. */
export type UpstreamFollowUp =
  /** nothing more: delivered, or failed and the client was told */
  | 'none'
  /** keeps retrying on its own, with failure notification (DSN) on */
  | 'retry_and_notify'
  /** failed for good and the client was not told: send a DSN now */
  | 'notify_failure'
  /** the client was told to retry itself: stop it so it is not delivered twice */
  | 'cancel';

export interface FanIn {
  data: Verdict;
  followUps: UpstreamFollowUp[];
}

/** A stored reply as a chain verdict: the same structure, classified by its code. */
export function verdictOf(r: SmtpResponse): Verdict {
  const kind = r.code >= 500 ? 'perm' : r.code >= 400 ? 'temp' : 'accept';
  return { kind, response: r };
}

/**
 * The outcome of an upstream transaction once its first attempt is recorded, or undefined
 * while it is still waiting for or running that attempt.
 */
export function upstreamOutcome(row: Transaction): UpstreamOutcome | undefined {
  const final = isFinalStatus(row.status);
  if (!final && (row.attemptCount === 0 || row.status === 'inflight')) return undefined;
  const v = {
    ...(row.mailResponse && { mailResponse: row.mailResponse }),
    ...(row.rcptResponse && { rcptResponse: row.rcptResponse }),
    ...(row.dataResponse && { dataResponse: row.dataResponse }),
  };
  const answered = Object.keys(v).length > 0;
  const c = classifyVerdict(answered ? v : undefined, answered ? undefined : 'no answer');
  if (c.kind === 'success') {
    return { kind: 'accept', verdict: verdictOf(row.dataResponse ?? { code: 250, message: 'ok' }) };
  }
  const response = (answered && decisiveResponse(v)) || undefined;
  const kind = c.kind === 'permanent' ? 'perm' : 'temp';
  if (response && response.code >= 400) return { kind, verdict: verdictOf(response) };
  const text =
    row.status === 'cancelled' ? 'upstream delivery was cancelled' : 'upstream delivery failed';
  return {
    kind,
    verdict: {
      kind,
      response:
        kind === 'perm'
          ? { code: 554, enhanced: '5.0.0', message: text }
          : { code: 451, enhanced: '4.4.0', message: text },
    },
  };
}

const STORED = accept(250, '2.0.0', 'ok, queued for delivery (store and forward)');
const PARTIAL = accept(
  250,
  '2.0.0',
  'ok, queued; delivery to some recipients will be retried or they will be notified',
);
const TIMEOUT = { code: 451, enhanced: '4.4.7', message: 'upstream did not answer in time' };

/**
 * The DATA answer for the fanned-out recipients (issue 5):
 * - MSA (`msa: true`): temporary failures and timeouts become accepts whose upstream keeps
 *   retrying with notification on; permanent failures pass through.
 * - MX: a timeout is a temporary failure; everything passes through.
 * Then: one recipient, or several with the same outcome → that response (the first one's);
 * mixed outcomes → 250, the failed ones retry with notification (temporary) or get a DSN now
 * (permanent). Temporary failures told to the client (MX) are cancelled upstream.
 */
export function fanIn(outcomes: UpstreamOutcome[], msa: boolean): FanIn {
  const effective: Verdict[] = outcomes.map((o) => {
    if (o.kind === 'accept' || o.kind === 'perm') return o.verdict;
    if (msa) return STORED;
    return o.kind === 'timeout' ? { kind: 'temp', response: TIMEOUT } : o.verdict;
  });
  const kinds = new Set(effective.map((v) => v.kind));
  const retried = (o: UpstreamOutcome) =>
    o.kind === 'temp' || o.kind === 'timeout' ? 'retry_and_notify' : 'none';
  if (kinds.size === 1) {
    const first = effective[0]!;
    const followUps = outcomes.map((o): UpstreamFollowUp => {
      if (msa) return retried(o);
      return o.kind === 'temp' || o.kind === 'timeout' ? 'cancel' : 'none';
    });
    const data =
      first.kind === 'accept' && outcomes.some((o) => o.kind !== 'accept') ? STORED : first;
    return { data, followUps };
  }
  return {
    data: PARTIAL,
    followUps: outcomes.map((o) => (o.kind === 'perm' ? 'notify_failure' : retried(o))),
  };
}
