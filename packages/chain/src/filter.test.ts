import { describe, expect, it } from 'vitest';
import { copyOf, FilterTx } from './filter.ts';
import { testTx } from './test-helpers.ts';

describe('FilterTx envelope copies', () => {
  it('gives deep copies of the recipients in play and of the sender, as structuredClone does', () => {
    const tx = testTx({
      mail_from: { m: 'a@x.test', e: [{ k: 'RET', p: 'HDRS' }] },
      rcpt_to: [
        { m: 'b@x.test', e: [{ k: 'NOTIFY', p: 'FAILURE' }] },
        { m: 'c@x.test' },
        { m: 'd@x.test', e: [{ k: 'ORCPT', p: 'rfc822;d@x.test' }, { k: 'SMTPUTF8' }] },
      ],
    });
    const handle = new FilterTx(tx, [0, 2], 'router', 0, [], () => new Date());
    const rcpt = handle.rcptTo;
    expect(rcpt).toEqual([tx.rcpt_to[0], tx.rcpt_to[2]]);
    expect(rcpt).toEqual(structuredClone([tx.rcpt_to[0], tx.rcpt_to[2]]));
    rcpt[0]!.m = 'changed@x.test';
    rcpt[0]!.e![0]!.p = 'NEVER';
    rcpt[1]!.e!.push({ k: 'X' });
    expect(tx.rcpt_to[0]).toEqual({ m: 'b@x.test', e: [{ k: 'NOTIFY', p: 'FAILURE' }] });
    expect(tx.rcpt_to[2]!.e).toHaveLength(2);
    const from = handle.mailFrom;
    from.e![0]!.p = 'FULL';
    expect(tx.mail_from.e![0]!.p).toBe('HDRS');
  });

  it('copies other values as structuredClone does', () => {
    const when = new Date(5);
    const value = { at: when, list: [1, 'a', null, { n: undefined }], map: new Map([[1, 2]]) };
    const copy = copyOf(value);
    expect(copy).toEqual(structuredClone(value));
    expect(copy.at).not.toBe(when);
    expect(copy.at).toBeInstanceOf(Date);
    expect(copy.list[3]).not.toBe(value.list[3]);
    expect('n' in (copy.list[3] as object)).toBe(true);
  });
});
