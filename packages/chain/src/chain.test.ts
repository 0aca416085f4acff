import { describe, expect, it } from 'vitest';
import { runChain } from './chain.ts';
import type { FilterTx } from './filter.ts';
import { accept, perm } from './responses.ts';
import { chainOf, memorySandbox, testContext, testTx } from './test-helpers.ts';
import type { FilterResult } from './types.ts';

describe('runChain', () => {
  it('runs several filters, drops rejected recipients and stops at the terminal output', async () => {
    const sb = memorySandbox();
    const chain = chainOf([
      { filter: 'received_header' },
      { filter: 'policy', rules: [{ match: { rcpt_domain: ['blocked.test'] }, action: 'reject' }] },
      { filter: 'sandbox' },
      { filter: 'received_header' }, // never reached
    ]);
    const tx = testTx({
      rcpt_to: [{ m: 'a@ok.test' }, { m: 'b@blocked.test' }, { m: 'c@ok.test' }],
    });
    const res = await runChain(chain, tx, testContext({ sandbox: sb.store }));
    expect(res.rcpt.map((v) => v.kind)).toEqual(['accept', 'perm', 'accept']);
    expect(res.rcpt[1]!.response).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(res.stoppedAt).toBe(2);
    expect(res.data?.kind).toBe('accept');
    // the rejected recipient was not passed on to the sandbox
    expect(sb.stored[0]!.rcpt).toEqual(['a@ok.test', 'c@ok.test']);
    expect(sb.stored[0]!.body.match(/^Received:/gm)).toHaveLength(1);
    expect(res.events.map((e) => e.type)).toEqual(['policy_reject', 'sandboxed']);
  });

  it('stops early when every recipient has failed', async () => {
    const sb = memorySandbox();
    const chain = chainOf([
      {
        filter: 'policy',
        rules: [
          {
            match: { rcpt_count: { min: 1 } },
            action: 'reject',
            response: { code: 450, enhanced: '4.7.1', message: 'try later' },
          },
        ],
      },
      { filter: 'sandbox' },
    ]);
    const res = await runChain(chain, testTx(), testContext({ sandbox: sb.store }));
    expect(res.rcpt).toEqual([
      { kind: 'temp', response: { code: 450, enhanced: '4.7.1', message: 'try later' } },
    ]);
    expect(res.data).toBeUndefined();
    expect(sb.stored).toHaveLength(0);
  });

  it('answers a temporary failure when a filter times out, and refuses its late changes', async () => {
    let late: unknown;
    const chain = chainOf([
      {
        filter: 'policy',
        timeout: 0.05,
        rules: [{ match: { tls: true }, action: 'log', message: 'x' }],
      },
      { filter: 'sandbox' },
    ]);
    // The filter goes on only once the chain has answered (its own 0.05 s timer fired).
    let answered!: () => void;
    const chainAnswered = new Promise<void>((r) => (answered = r));
    let lateDone: Promise<FilterResult> | undefined;
    const slow = (tx: FilterTx) =>
      (lateDone = chainAnswered.then((): FilterResult => {
        try {
          tx.tag('too-late');
        } catch (err) {
          late = err;
        }
        return { kind: 'continue' };
      }));
    const tx = testTx();
    const res = await runChain(chain, tx, testContext(), { implementations: { policy: slow } });
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.7' } });
    expect(res.events).toMatchObject([
      { filter: 'policy', type: 'timeout', data: { seconds: 0.05 } },
    ]);
    answered();
    await lateDone;
    expect(late).toBeInstanceOf(Error);
    expect((late as Error).name).toBe('FilterCompletedError');
    expect(tx.tags).toBeUndefined();
  });

  it('turns a throwing filter into 451 4.3.0 with an internal_error event', async () => {
    const chain = chainOf([{ filter: 'received_header' }, { filter: 'sandbox' }]);
    const ctx = testContext();
    const res = await runChain(chain, testTx(), ctx, {
      implementations: {
        received_header: async () => {
          throw new Error('boom');
        },
      },
    });
    expect(res.rcpt[0]).toEqual({
      kind: 'temp',
      response: { code: 451, enhanced: '4.3.0', message: 'internal error' },
    });
    expect(res.events).toMatchObject([{ type: 'internal_error', data: { error: 'boom' } }]);
    expect(ctx.lines.some((l) => l.includes('filter failed'))).toBe(true);
  });

  it('answers a message-level rejection for every recipient', async () => {
    const chain = chainOf([{ filter: 'sandbox' }]);
    const res = await runChain(
      chain,
      testTx({ rcpt_to: [{ m: 'a@x.test' }, { m: 'b@x.test' }] }),
      testContext(),
      {
        implementations: {
          sandbox: async () => ({ kind: 'done', mail: perm('no', 550, '5.7.0') }),
        },
      },
    );
    expect(res.mail.kind).toBe('perm');
    expect(res.rcpt.map((v) => v.response.code)).toEqual([550, 550]);
  });

  it('reports a chain without an output as a temporary failure (or the configured end)', async () => {
    const chain = chainOf([{ filter: 'received_header' }]);
    const res = await runChain(chain, testTx(), testContext());
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451 } });
    const res2 = await runChain(chain, testTx(), testContext(), {
      endOfChain: accept(250, '2.0.0', 'stored'),
    });
    expect(res2.rcpt[0]!.response.message).toBe('stored');
  });

  it('answers exploder as unavailable unless the host supplies it', async () => {
    const chain = chainOf([{ filter: 'exploder', output_chain: 'x' }]);
    const res = await runChain(chain, testTx(), testContext());
    expect(res.rcpt[0]!.kind).toBe('temp');
    const res2 = await runChain(chain, testTx(), testContext(), {
      implementations: {
        exploder: async (tx, cfg) => ({
          kind: 'done',
          rcpt: tx.rcptTo.map(() => accept(250, '2.0.0', cfg.output_chain)),
          data: accept(250, '2.0.0', cfg.output_chain),
        }),
      },
    });
    expect(res2.rcpt[0]!.response.message).toBe('x');
  });
});

describe('filter handle', () => {
  it('lets a filter rewrite the envelope of the recipients still in play', async () => {
    const chain = chainOf([
      { filter: 'policy', rules: [{ match: { rcpt_domain: ['old.test'] }, action: 'reject' }] },
      { filter: 'received_header' },
    ]);
    const tx = testTx({ rcpt_to: [{ m: 'a@old.test' }, { m: 'b@keep.test' }] });
    const res = await runChain(chain, tx, testContext(), {
      endOfChain: accept(),
      implementations: {
        received_header: async (h) => {
          expect(h.rcptTo).toEqual([{ m: 'b@keep.test' }]); // the rejected one is not passed on
          h.setRcpt(0, { m: 'b@new.test' });
          h.setMailFrom({ m: 'bounces@example.com' });
          h.setRouting({ destination_domain: 'new.test' });
          h.event('rewritten');
          return { kind: 'continue' };
        },
      },
    });
    expect(tx.rcpt_to).toEqual([{ m: 'a@old.test' }, { m: 'b@new.test' }]);
    expect(tx.mail_from).toEqual({ m: 'bounces@example.com' });
    expect(tx.routing).toEqual({ destination_domain: 'new.test' });
    expect(res.rcpt.map((v) => v.kind)).toEqual(['perm', 'accept']);
    expect(res.events.map((e) => [e.filter, e.index, e.type])).toEqual([
      ['policy', 0, 'policy_reject'],
      ['received_header', 1, 'rewritten'],
    ]);
  });

  it('treats more verdicts than recipients as an internal error', async () => {
    const chain = chainOf([{ filter: 'received_header' }]);
    const res = await runChain(chain, testTx(), testContext(), {
      implementations: {
        received_header: async () => ({ kind: 'continue', rcpt: [undefined, undefined] }),
      },
    });
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.3.0' } });
    expect(res.events[0]).toMatchObject({ type: 'internal_error' });
  });
});

describe('final verdicts', () => {
  it('gives recipients accepted at RCPT the DATA answer', async () => {
    const chain = chainOf([{ filter: 'sandbox' }]);
    const res = await runChain(
      chain,
      testTx({ rcpt_to: [{ m: 'a@x.test' }, { m: 'b@x.test' }] }),
      testContext(),
      {
        implementations: {
          sandbox: async () => ({
            kind: 'done',
            rcpt: [accept(), perm('no such user', 550, '5.1.1')],
            data: {
              kind: 'temp',
              response: { code: 452, enhanced: '4.3.1', message: 'disk full' },
            },
          }),
        },
      },
    );
    expect(res.rcpt.map((v) => v.response.code)).toEqual([452, 550]);
    expect(res.data?.response.code).toBe(452);
  });
});
