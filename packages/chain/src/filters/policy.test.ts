import { describe, expect, it } from 'vitest';
import { runChain } from '../chain.ts';
import { accept } from '../responses.ts';
import type { ChainInput } from '../schemas.ts';
import { chainOf, testContext, testTx } from '../test-helpers.ts';
import type { ChainTransaction } from '../types.ts';
import type { PolicyMatch } from './policy.schema.ts';
import { type MatchFacts, matches } from './policy.ts';

const facts = (over: Partial<MatchFacts> = {}): MatchFacts => ({
  mail_from: 'alice@example.com',
  rcpt: 'bob@example.net',
  rcpt_count: 1,
  session: { remote_ip: '10.1.2.3' },
  tags: [],
  ...over,
});

describe('policy matches', () => {
  it('evaluates nested all/any/not', () => {
    const m: PolicyMatch = {
      all: [
        { any: [{ sender_domain: ['example.com'] }, { sender_address: ['boss@corp.test'] }] },
        {
          not: {
            any: [{ authenticated: true }, { client_cidr: ['192.0.2.0/24', '2001:db8::/32'] }],
          },
        },
        { not: { not: { rcpt_domain: ['.net', 'example.org'] } } },
      ],
    };
    expect(matches(m, facts())).toBe(true);
    expect(matches(m, facts({ session: { remote_ip: '192.0.2.77' } }))).toBe(false);
    expect(matches(m, facts({ session: { remote_ip: '2001:db8::9' } }))).toBe(false);
    expect(matches(m, facts({ session: { remote_ip: '10.0.0.1', auth: { user: 'a' } } }))).toBe(
      false,
    );
    expect(matches(m, facts({ mail_from: 'boss@corp.test' }))).toBe(true);
    expect(matches(m, facts({ mail_from: 'eve@evil.test' }))).toBe(false);
    expect(matches(m, facts({ rcpt: 'bob@example.org' }))).toBe(true);
    expect(matches(m, facts({ rcpt: 'bob@example.com' }))).toBe(false);
  });

  it('matches TLS, recipient count and authentication results', () => {
    expect(matches({ tls: true }, facts({ session: { tls: { protocol: 'TLSv1.3' } } }))).toBe(true);
    expect(matches({ tls: true }, facts())).toBe(false);
    expect(matches({ rcpt_count: { min: 2, max: 3 } }, facts({ rcpt_count: 3 }))).toBe(true);
    expect(matches({ rcpt_count: { min: 2 } }, facts())).toBe(false);
    const auth = {
      spf: 'softfail',
      dkim: [{ domain: 'example.com', result: 'pass' }],
      dmarc: { result: 'pass', policy: 'none' },
    };
    expect(matches({ auth: { spf: ['fail', 'softfail'] } }, facts({ auth }))).toBe(true);
    expect(matches({ auth: { dkim: ['pass'], dmarc: ['pass'] } }, facts({ auth }))).toBe(true);
    expect(matches({ auth: { dmarc_policy: ['reject'] } }, facts({ auth }))).toBe(false);
    expect(matches({ auth: { spf: ['pass'] } }, facts())).toBe(false);
    expect(matches({ tag: 'vip' }, facts({ tags: ['vip'] }))).toBe(true);
  });
});

describe('policy filter', () => {
  const run = async (input: ChainInput, tx: ChainTransaction) => {
    const ctx = testContext();
    return { res: await runChain(chainOf(input), tx, ctx, { endOfChain: accept() }), ctx };
  };

  it('rejects per recipient, tags and logs once', async () => {
    const tx = testTx({
      rcpt_to: [{ m: 'a@ok.test' }, { m: 'b@spam.test' }, { m: 'c@ok.test' }],
      session: { remote_ip: '10.9.9.9' },
    });
    const { res, ctx } = await run(
      [
        {
          filter: 'policy',
          rules: [
            { match: { client_cidr: ['10.0.0.0/8'] }, action: 'tag', tag: 'internal' },
            {
              name: 'audit',
              match: { tag: 'internal' },
              action: 'log',
              message: 'internal client',
            },
            {
              match: { all: [{ rcpt_domain: ['spam.test'] }, { not: { authenticated: true } }] },
              action: 'reject',
            },
          ],
        },
      ],
      tx,
    );
    expect(res.rcpt.map((v) => v.kind)).toEqual(['accept', 'perm', 'accept']);
    expect(res.rcpt[1]!.response).toEqual({
      code: 550,
      enhanced: '5.7.1',
      message: 'rejected by policy',
    });
    expect(tx.tags).toEqual(['internal']);
    expect(res.events.filter((e) => e.type === 'policy_log')).toHaveLength(1);
    expect(ctx.lines.filter((l) => l.includes('internal client'))).toHaveLength(1);
  });
});
