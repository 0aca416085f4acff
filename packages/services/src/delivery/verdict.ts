import { replyLine, type SmtpResponse } from '@koukan/db/schema';

export type { SmtpResponse };

/** A timeline entry the chain wants recorded with the attempt. */
export interface VerdictEvent {
  type: string;
  data?: Record<string, unknown>;
}

/**
 * What one delivery attempt produced, persisted as it is (Postal's SendResult): the upstream's
 * answers to MAIL, each RCPT (null: never answered) and DATA. Classification is derived from
 * the codes, never stored separately from them.
 */
export interface AttemptVerdict {
  upstreamHost?: string;
  mailResponse?: SmtpResponse;
  rcptResponse?: (SmtpResponse | null)[];
  dataResponse?: SmtpResponse;
  events?: VerdictEvent[];
  /** The output chain and revision that ran the attempt (recorded on the attempt row). */
  chain?: { name: string; version: number };
}

export type FailurePhase = 'mail' | 'rcpt' | 'data';

export type Classification =
  | { kind: 'success' }
  | { kind: 'temporary'; phase: FailurePhase | 'error'; message: string }
  | { kind: 'permanent'; phase: FailurePhase; message: string };

function cls(r: SmtpResponse): 'ok' | 'temp' | 'perm' {
  if (r.code >= 200 && r.code < 300) return 'ok';
  if (r.code >= 500) return 'perm';
  return 'temp'; // 4xx, and anything unexpected (3xx after DATA is a protocol error: retry)
}

const show = replyLine;

/**
 * 2xx ok, 4xx temporary, 5xx permanent, decided at the first phase that did not succeed. A
 * success needs MAIL (when answered), every RCPT and DATA to succeed. A recipient answer equal
 * to the DATA answer counts as DATA's (the chain reports final per-recipient verdicts). Among recipients, any
 * temporary answer (or none) makes the attempt temporary, otherwise any 5xx makes it permanent.
 * `error` is a failure before or outside the SMTP dialogue (timeout, connection): temporary.
 */
export function classifyVerdict(
  verdict: AttemptVerdict | undefined,
  error?: string,
): Classification {
  if (error !== undefined || !verdict) {
    return { kind: 'temporary', phase: 'error', message: error ?? 'no verdict' };
  }
  const { mailResponse, rcptResponse, dataResponse } = verdict;
  if (mailResponse) {
    const c = cls(mailResponse);
    if (c === 'perm') return { kind: 'permanent', phase: 'mail', message: show(mailResponse) };
    if (c === 'temp') return { kind: 'temporary', phase: 'mail', message: show(mailResponse) };
  }
  // A recipient whose answer is the DATA answer (the chain reports each recipient's final
  // verdict, which after DATA is the DATA answer) was accepted at RCPT: judge it at DATA.
  const sameAsData = (r: SmtpResponse | null) =>
    r !== null &&
    dataResponse !== undefined &&
    r.code === dataResponse.code &&
    r.message === dataResponse.message;
  const rcpts = (rcptResponse ?? []).filter((r) => !sameAsData(r));
  const temp = rcpts.find((r) => r === null || cls(r) === 'temp');
  if (temp !== undefined) {
    return { kind: 'temporary', phase: 'rcpt', message: temp ? show(temp) : 'no RCPT response' };
  }
  const perm = rcpts.find((r) => r !== null && cls(r) === 'perm');
  if (perm) return { kind: 'permanent', phase: 'rcpt', message: show(perm) };
  if (!dataResponse) return { kind: 'temporary', phase: 'data', message: 'no DATA response' };
  const d = cls(dataResponse);
  if (d === 'perm') return { kind: 'permanent', phase: 'data', message: show(dataResponse) };
  if (d === 'temp') return { kind: 'temporary', phase: 'data', message: show(dataResponse) };
  return { kind: 'success' };
}

/** The response that decided a failure, for the DSN's Status and Diagnostic-Code. */
export function decisiveResponse(verdict: AttemptVerdict | undefined): SmtpResponse | undefined {
  if (!verdict) return undefined;
  if (verdict.mailResponse && verdict.mailResponse.code >= 300) return verdict.mailResponse;
  const bad = verdict.rcptResponse?.find((r) => r && r.code >= 300);
  if (bad) return bad;
  return verdict.dataResponse;
}
