import { describe, expect, it } from 'vitest';
import {
  dsnParamProblem,
  dsnParamsProblem,
  envelopeDsnOf,
  recipientDsnOf,
  wantsDsn,
} from './dsn-params.ts';

describe('RFC 3461 parameters', () => {
  it('validates each value, and the command it belongs to', () => {
    expect(dsnParamProblem('rcpt', 'NOTIFY', 'failure,delay')).toBeNull();
    expect(dsnParamProblem('rcpt', 'notify', 'NEVER')).toBeNull();
    expect(dsnParamProblem('rcpt', 'NOTIFY', 'NEVER,FAILURE')).toMatch(/NEVER/);
    expect(dsnParamProblem('rcpt', 'NOTIFY', 'FAILURE,FAILURE')).toMatch(/twice/);
    expect(dsnParamProblem('rcpt', 'NOTIFY', '')).toMatch(/NOTIFY must be/);
    expect(dsnParamProblem('rcpt', 'NOTIFY', undefined)).toMatch(/requires a value/);
    expect(dsnParamProblem('mail', 'RET', 'hdrs')).toBeNull();
    expect(dsnParamProblem('mail', 'RET', 'ALL')).toMatch(/FULL or HDRS/);
    expect(dsnParamProblem('mail', 'ENVID', 'a b=c+d')).toBeNull();
    expect(dsnParamProblem('mail', 'ENVID', 'x'.repeat(100))).toBeNull();
    expect(dsnParamProblem('mail', 'ENVID', 'x'.repeat(101))).toMatch(/100/);
    expect(dsnParamProblem('mail', 'ENVID', 'ü')).toMatch(/printable/);
    expect(dsnParamProblem('rcpt', 'ORCPT', 'rfc822;"a b"@example.org')).toBeNull();
    expect(dsnParamProblem('rcpt', 'ORCPT', 'utf-8;jörg@example.org')).toBeNull();
    expect(dsnParamProblem('rcpt', 'ORCPT', 'rfc822;jörg@example.org')).toMatch(/US-ASCII/);
    expect(dsnParamProblem('rcpt', 'ORCPT', ';a@example.org')).toMatch(/addr-type/);
    expect(dsnParamProblem('rcpt', 'ORCPT', 'rfc822;')).toMatch(/addr-type/);
    expect(dsnParamProblem('rcpt', 'ORCPT', 'rfc822;a\r\nb')).toMatch(/control/);
    expect(dsnParamProblem('mail', 'NOTIFY', 'NEVER')).toMatch(/RCPT parameter/);
    expect(dsnParamProblem('rcpt', 'ENVID', 'x')).toMatch(/MAIL parameter/);
    expect(dsnParamProblem('mail', 'SIZE', '12')).toBeNull();
    expect(
      dsnParamsProblem('rcpt', [{ k: 'SIZE' }, { k: 'NOTIFY', p: 'X' }, { k: 'ORCPT', p: 'x' }]),
    ).toEqual({ index: 1, message: expect.stringMatching(/NOTIFY/) });
    expect(
      dsnParamsProblem('rcpt', [
        { k: 'notify', p: 'NEVER' },
        { k: 'NOTIFY', p: 'NEVER' },
      ]),
    ).toEqual({ index: 1, message: 'NOTIFY given twice' });
  });

  it('reads them back from a mailbox, ignoring what is invalid', () => {
    expect(
      envelopeDsnOf([
        { k: 'ret', p: 'full' },
        { k: 'ENVID', p: 'e-1' },
      ]),
    ).toEqual({
      ret: 'FULL',
      envid: 'e-1',
    });
    expect(envelopeDsnOf([{ k: 'RET', p: 'ALL' }])).toEqual({});
    expect(recipientDsnOf([{ k: 'NOTIFY', p: 'success,delay' }])).toEqual({
      notify: ['SUCCESS', 'DELAY'],
    });
    expect(recipientDsnOf([{ k: 'ORCPT', p: 'rfc822;a;b@example.org' }])).toEqual({
      orcpt: { type: 'rfc822', address: 'a;b@example.org' },
    });
    expect(recipientDsnOf(undefined)).toEqual({});
  });

  it('NEVER means never; an explicit NOTIFY its events; none: failures (delays by policy)', () => {
    const never = { notify: 'NEVER' as const };
    for (const e of ['SUCCESS', 'FAILURE', 'DELAY'] as const) {
      expect(wantsDsn(never, e, { delayWithoutNotify: true })).toBe(false);
    }
    const some = { notify: ['SUCCESS' as const] };
    expect([wantsDsn(some, 'SUCCESS'), wantsDsn(some, 'FAILURE'), wantsDsn(some, 'DELAY')]).toEqual(
      [true, false, false],
    );
    expect([wantsDsn({}, 'SUCCESS'), wantsDsn({}, 'FAILURE'), wantsDsn({}, 'DELAY')]).toEqual([
      false,
      true,
      false,
    ]);
    expect(wantsDsn({}, 'DELAY', { delayWithoutNotify: true })).toBe(true);
  });
});
