import { describe, expect, it } from 'vitest';
import { runChain } from '../chain.ts';
import { zoneResolver } from '../dns.ts';
import { accept } from '../responses.ts';
import type { ChainInput } from '../schemas.ts';
import { chainOf, testContext, testTx } from '../test-helpers.ts';
import { resolveNextHops } from './dns-resolution.ts';

// DNS stub: a fixed zone; NXDOMAIN for absent names, SERVFAIL where marked.
const dns = zoneResolver({
  'multi.test': {
    MX: [
      { exchange: 'mx3.multi.test', priority: 30 },
      { exchange: 'mx1.multi.test.', priority: 10 },
      { exchange: 'mx2.multi.test', priority: 20 },
    ],
  },
  'nullmx.test': { MX: [{ exchange: '', priority: 0 }], A: ['192.0.2.1'] },
  'implicit.test': { AAAA: ['2001:db8::25'] },
  'noaddr.test': { TXT: [['v=spf1 -all']] },
  'broken.test': { error: 'ESERVFAIL' },
  'slow.test': { error: 'ETIMEOUT' },
  // issue 10 item 11: MX answers that point into internal networks
  'internal.test': {
    MX: [
      { exchange: 'loop.internal.test', priority: 10 },
      { exchange: 'lan.internal.test', priority: 20 },
      { exchange: 'link.internal.test', priority: 30 },
      { exchange: 'mapped.internal.test', priority: 40 },
      { exchange: '10.1.2.3', priority: 50 },
    ],
  },
  'loop.internal.test': { A: ['127.0.0.1'] },
  'lan.internal.test': { A: ['192.0.2.7', '192.168.1.10'] },
  'link.internal.test': { AAAA: ['fe80::1'] },
  'mapped.internal.test': { AAAA: ['::ffff:172.16.0.1'] },
  'mixed.test': {
    MX: [
      { exchange: 'private.mixed.test', priority: 10 },
      { exchange: 'public.mixed.test', priority: 20 },
    ],
  },
  'private.mixed.test': { A: ['10.0.0.25'] },
  'public.mixed.test': { A: ['192.0.2.25'], AAAA: ['2001:db8::25'] },
  'loopback-implicit.test': { AAAA: ['::1'] },
});

const run = async (
  domain: string,
  cfg: Partial<Extract<ChainInput[number], { filter: 'dns_resolution' }>> = {},
) => {
  const chain = chainOf([{ filter: 'dns_resolution', ...cfg }]);
  const tx = testTx({ rcpt_to: [{ m: `user@${domain}` }] });
  const res = await runChain(chain, tx, testContext({ dns }), { endOfChain: accept() });
  return { res, tx };
};

describe('dns_resolution', () => {
  it('orders MX hosts by preference', async () => {
    const { tx, res } = await run('multi.test');
    expect(tx.routing?.remote_hosts).toEqual([
      { host: 'mx1.multi.test', port: 25 },
      { host: 'mx2.multi.test', port: 25 },
      { host: 'mx3.multi.test', port: 25 },
    ]);
    expect(res.rcpt[0]!.kind).toBe('accept');
  });

  it('answers RFC 7505 null MX with a permanent 556 5.1.10', async () => {
    const { res } = await run('nullmx.test');
    expect(res.rcpt[0]).toMatchObject({
      kind: 'perm',
      response: { code: 556, enhanced: '5.1.10' },
    });
    expect(res.events).toMatchObject([{ type: 'dns_failed', data: { reason: 'null_mx' } }]);
  });

  it('falls back to the implicit MX (A/AAAA of the domain)', async () => {
    const { tx } = await run('implicit.test');
    expect(tx.routing?.remote_hosts).toEqual([{ host: 'implicit.test', port: 25 }]);
  });

  it('fails permanently on NXDOMAIN and on a domain without addresses', async () => {
    expect((await run('nonexistent.test')).res.rcpt[0]).toMatchObject({
      kind: 'perm',
      response: { enhanced: '5.1.2' },
    });
    expect((await run('noaddr.test')).res.rcpt[0]).toMatchObject({
      kind: 'perm',
      response: { enhanced: '5.1.2' },
    });
  });

  it('fails temporarily on SERVFAIL and timeouts', async () => {
    expect((await run('broken.test')).res.rcpt[0]).toMatchObject({
      kind: 'temp',
      response: { code: 451, enhanced: '4.4.3' },
    });
    expect((await run('slow.test')).res.rcpt[0]).toMatchObject({ kind: 'temp' });
    // the lookup function itself answers MX results without the filter around it
    expect(await resolveNextHops(dns, 'multi.test', 2525)).toMatchObject({
      hosts: [{ host: 'mx1.multi.test', port: 2525 }, {}, {}],
    });
  });

  it('times out a hanging resolver with a temporary failure', async () => {
    const chain = chainOf([{ filter: 'dns_resolution', lookup_timeout: 0.05 }]);
    const tx = testTx({ rcpt_to: [{ m: 'a@hang.test' }] });
    const res = await runChain(chain, tx, testContext({ dns: () => new Promise(() => {}) }));
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.3' } });
  });

  it('uses static_hosts overrides without asking DNS', async () => {
    const { tx } = await run('nonexistent.test', {
      static_hosts: { 'nonexistent.test': ['127.0.0.1:2525', '[::1]'] },
    });
    expect(tx.routing?.remote_hosts).toEqual([
      { host: '127.0.0.1', port: 2525 },
      { host: '::1', port: 25 },
    ]);
  });

  it('keeps next hops already chosen by the router (smarthost)', async () => {
    const chain = chainOf([
      { filter: 'router', policies: [{ type: 'smarthost', smarthost: 'relay.test:587' }] },
      { filter: 'dns_resolution' },
    ]);
    const tx = testTx({ rcpt_to: [{ m: 'a@nonexistent.test' }] });
    const res = await runChain(chain, tx, testContext({ dns }), { endOfChain: accept() });
    expect(res.rcpt[0]!.kind).toBe('accept');
    expect(tx.routing?.remote_hosts).toEqual([{ host: 'relay.test', port: 587 }]);
  });
});

describe('dns_resolution with several recipient domains', () => {
  it('defers recipients of another domain than the one resolved', async () => {
    const chain = chainOf([
      { filter: 'dns_resolution', static_hosts: { 'a.test': ['mx.a.test'] } },
    ]);
    const tx = testTx({ rcpt_to: [{ m: 'x@a.test' }, { m: 'y@b.test' }, { m: 'z@A.test' }] });
    const res = await runChain(chain, tx, testContext({ dns }), { endOfChain: accept() });
    expect(res.rcpt.map((v) => v.kind)).toEqual(['accept', 'temp', 'accept']);
  });

  it('refuses MX answers at loopback, private or link-local addresses (554 5.4.4) unless allowed', async () => {
    const { res, tx } = await run('internal.test');
    expect(res.rcpt[0]).toMatchObject({ kind: 'perm', response: { code: 554, enhanced: '5.4.4' } });
    expect(tx.routing?.remote_hosts).toBeUndefined();
    expect(res.events).toMatchObject([
      {
        type: 'next_hop_refused',
        data: {
          hosts: [
            'loop.internal.test',
            'lan.internal.test',
            'link.internal.test',
            'mapped.internal.test',
            '10.1.2.3',
          ],
        },
      },
      { type: 'dns_failed', data: { reason: 'non_public_next_hop' } },
    ]);
    expect((await run('loopback-implicit.test')).res.rcpt[0]).toMatchObject({ kind: 'perm' });
    const allowed = await run('internal.test', { allow_private_next_hops: true });
    expect(allowed.tx.routing?.remote_hosts).toHaveLength(5);
  });

  it('keeps the public hosts of a mixed MX answer, and static hosts are never checked', async () => {
    const { tx } = await run('mixed.test');
    expect(tx.routing?.remote_hosts).toEqual([{ host: 'public.mixed.test', port: 25 }]);
    const fixed = await run('internal.test', {
      static_hosts: { 'internal.test': ['127.0.0.1:2525'] },
    });
    expect(fixed.tx.routing?.remote_hosts).toEqual([{ host: '127.0.0.1', port: 2525 }]);
  });
});
