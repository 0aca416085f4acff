import { describe, expect, it } from 'vitest';
import { type DecideInput, decideNext } from './decide.ts';
import { type Classification, classifyVerdict } from './verdict.ts';

const created = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(created.getTime() + ms);
const temp: Classification = { kind: 'temporary', phase: 'data', message: '451 later' };
const policy = { schedule: ['1m', '5m', '15m', '1h'], max_attempts: 8, max_age: '1d' };

/** decideNext after a temporary failure of attempt 1 under `policy`, at creation; `over` changes that. */
const decide = (over: Partial<DecideInput> = {}) =>
  decideNext({
    classification: temp,
    policy,
    attemptCount: 1,
    createdAt: created,
    now: at(0),
    cancelRequested: false,
    ...over,
  });

describe('decideNext', () => {
  it('walks the schedule, the last entry repeating', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => {
      const next = decide({ attemptCount: n });
      return next.status === 'queued' ? next.delayMs / 60_000 : next.status;
    });
    expect(delays).toEqual([1, 5, 15, 60, 60, 60]);
  });

  it('schedules relative to the injected clock', () => {
    const next = decide({ attemptCount: 2, now: at(3_600_000) });
    expect(next).toEqual({
      status: 'queued',
      nextAttemptAt: at(3_600_000 + 300_000),
      delayMs: 300_000,
    });
  });

  it('fails once max_attempts attempts were made', () => {
    expect(decide({ attemptCount: 7 }).status).toBe('queued');
    expect(decide({ attemptCount: 8 })).toEqual({
      status: 'failed',
      reason: 'retry_policy_max_attempts',
    });
  });

  it('fails when the next attempt would fall after created_at + max_age', () => {
    // 1 h before the deadline a 1 h step still fits exactly; a minute later it does not.
    expect(decide({ attemptCount: 5, now: at(23 * 3_600_000) }).status).toBe('queued');
    expect(decide({ attemptCount: 5, now: at(23 * 3_600_000 + 60_000) })).toEqual({
      status: 'failed',
      reason: 'retry_policy_deadline',
    });
  });

  it('makes one attempt without a policy', () => {
    const next = decide({ policy: null });
    expect(next).toEqual({ status: 'failed', reason: 'no_retry_policy' });
  });

  it('keeps a success delivered under a cancel, and cancels anything else', () => {
    expect(decide({ cancelRequested: true, classification: { kind: 'success' } })).toEqual({
      status: 'delivered',
      reason: 'upstream_success',
    });
    expect(decide({ cancelRequested: true })).toEqual({
      status: 'cancelled',
      reason: 'cancelled',
    });
  });

  it('names the phase of a permanent failure', () => {
    const next = decide({ classification: { kind: 'permanent', phase: 'rcpt', message: '550' } });
    expect(next).toEqual({ status: 'failed', reason: 'upstream_permanent_failure_rcpt' });
  });
});

describe('classifyVerdict', () => {
  const ok = { code: 250, message: 'ok' };
  it('needs every phase to succeed', () => {
    expect(classifyVerdict({ mailResponse: ok, rcptResponse: [ok], dataResponse: ok })).toEqual({
      kind: 'success',
    });
    expect(classifyVerdict({ mailResponse: ok, rcptResponse: [ok] })).toMatchObject({
      kind: 'temporary',
      phase: 'data',
    });
  });
  it('decides at the first failing phase: 4xx temporary, 5xx permanent', () => {
    const perm = { code: 550, message: '5.1.1 no such user' };
    const tmp = { code: 451, message: '4.3.0 try later' };
    expect(classifyVerdict({ mailResponse: perm, dataResponse: ok })).toMatchObject({
      kind: 'permanent',
      phase: 'mail',
    });
    expect(
      classifyVerdict({ mailResponse: ok, rcptResponse: [perm], dataResponse: tmp }),
    ).toMatchObject({
      kind: 'permanent',
      phase: 'rcpt',
    });
    expect(
      classifyVerdict({ mailResponse: ok, rcptResponse: [ok], dataResponse: perm }),
    ).toMatchObject({ kind: 'permanent', phase: 'data' });
    // Any temporary (or missing) recipient answer keeps the whole attempt retryable.
    expect(classifyVerdict({ rcptResponse: [perm, null], dataResponse: ok })).toMatchObject({
      kind: 'temporary',
      phase: 'rcpt',
    });
    expect(classifyVerdict({ rcptResponse: [ok, tmp], dataResponse: ok })).toMatchObject({
      kind: 'temporary',
      phase: 'rcpt',
    });
  });
  it('judges recipients that repeat the DATA answer at DATA', () => {
    const refused = { code: 554, message: '5.7.1 refused' };
    expect(
      classifyVerdict({ mailResponse: ok, rcptResponse: [refused], dataResponse: refused }),
    ).toMatchObject({ kind: 'permanent', phase: 'data' });
  });
  it('treats an error outside the dialogue as temporary', () => {
    expect(classifyVerdict(undefined, 'connect ECONNREFUSED')).toEqual({
      kind: 'temporary',
      phase: 'error',
      message: 'connect ECONNREFUSED',
    });
  });
});
