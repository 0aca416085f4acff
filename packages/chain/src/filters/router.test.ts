import { describe, expect, it } from 'vitest';
import { runChain } from '../chain.ts';
import { accept } from '../responses.ts';
import type { ChainInput } from '../schemas.ts';
import { chainOf, testContext, testTx } from '../test-helpers.ts';
import { baseLocalPart } from './router.ts';

const route = async (policies: unknown[], rcpts: string[], extra: Record<string, unknown> = {}) => {
  const chain = chainOf([{ filter: 'router', policies, ...extra }] as ChainInput);
  const tx = testTx({ rcpt_to: rcpts.map((m) => ({ m })) });
  const res = await runChain(chain, tx, testContext(), {
    endOfChain: accept(250, '2.0.0', 'routed'),
  });
  return { res, tx, kinds: res.rcpt.map((v) => v.kind) };
};

describe('router', () => {
  it('accepts listed addresses with + sub-addresses, whole domains and prefixes; rejects the rest', async () => {
    const { res, kinds, tx } = await route(
      [
        {
          type: 'address_list',
          addresses: ['Bob@Example.com'],
          domains: ['.corp.test'],
          prefixes: ['list-'],
        },
      ],
      [
        'bob+news@example.com',
        'BOB@example.com',
        'alice@example.com',
        'x@eu.corp.test',
        'x@corp.test',
        'list-dev@other.test',
        'xlist-@other.test',
      ],
    );
    expect(kinds).toEqual(['accept', 'accept', 'perm', 'accept', 'accept', 'accept', 'perm']);
    expect(res.rcpt[2]!.response).toEqual({
      code: 550,
      enhanced: '5.1.1',
      message: 'mailbox unavailable',
    });
    expect(res.events).toMatchObject([{ type: 'rcpt_rejected', data: { count: 2 } }]);
    expect(tx.routing?.rcpt_routes).toHaveLength(7);
  });

  it('honours a custom delimiter set and an empty one', () => {
    expect(baseLocalPart('bob-news+x', '+-')).toBe('bob');
    expect(baseLocalPart('bob+news', '')).toBe('bob+news');
  });

  it('applies policies in order: an explicit reject list before a catch-all destination_domain', async () => {
    const { kinds, res, tx } = await route(
      [
        {
          type: 'address_list',
          prefixes: ['noreply'],
          action: 'reject',
          response: { code: 551, enhanced: '5.1.6', message: 'gone' },
        },
        { type: 'destination_domain', domains: ['example.net'] },
      ],
      ['noreply@example.net', 'bob@example.net', 'bob@elsewhere.test'],
    );
    expect(kinds).toEqual(['perm', 'accept', 'perm']);
    expect(res.rcpt[0]!.response.message).toBe('gone');
    expect(tx.routing?.destination_domain).toBe('example.net');
  });

  it('sends everything to a static next hop (smarthost)', async () => {
    const { tx, kinds } = await route(
      [{ type: 'smarthost', smarthost: 'relay.internal:2525' }],
      ['a@x.test', 'b@y.test'],
    );
    expect(kinds).toEqual(['accept', 'accept']);
    expect(tx.routing?.remote_hosts).toEqual([{ host: 'relay.internal', port: 2525 }]);
  });

  it('routes an address list to its own next hop', async () => {
    const { tx } = await route(
      [{ type: 'address_list', domains: ['internal.test'], smarthost: '[2001:db8::1]:24' }],
      ['ops@internal.test'],
    );
    expect(tx.routing?.remote_hosts).toEqual([{ host: '2001:db8::1', port: 24 }]);
  });

  it('uses a configured rejection response', async () => {
    const { res } = await route(
      [{ type: 'destination_domain', domains: ['a.test'] }],
      ['x@b.test'],
      {
        reject: { code: 450, enhanced: '4.1.1', message: 'not here yet' },
      },
    );
    expect(res.rcpt[0]).toEqual({
      kind: 'temp',
      response: { code: 450, enhanced: '4.1.1', message: 'not here yet' },
    });
  });
});
