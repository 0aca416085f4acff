import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { listAudit } from '@koukan/db';
import { secretKeyFromBytes } from '@koukan/services';
import { type LocalDns, startLocalDns } from '@koukan/services/testing/dns';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, createHarness, type Harness } from '../../../testing/harness.ts';

// The procedures over real PostgreSQL; DNS is a dns2 server on loopback (these machines cannot
// reach the internet), asked through node's resolver as the console's check would be.
let h: Harness;
let dns: LocalDns;

beforeAll(async () => {
  dns = await startLocalDns();
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([dns.address]);
  h = await createHarness({
    secretKey: secretKeyFromBytes(randomBytes(32)),
    dns: (name, type) => resolver.resolve(name, type) as Promise<unknown[]>,
  });
});
afterAll(() => Promise.all([h?.close(), dns?.close()]));

describe('domains router', () => {
  it('an admin adds a domain: both keys, the records to publish, audited as the admin', async () => {
    const admin = h.caller(h.users.admin);
    const view = await admin.domains.add({ name: 'Mail.Example.com' });
    expect(view.name).toBe('mail.example.com');
    expect(view.keys.map((k) => [k.algorithm, k.state])).toEqual([
      ['rsa-sha256', 'active'],
      ['ed25519-sha256', 'active'],
    ]);
    expect(view.records.map((r) => r.purpose)).toEqual(['dkim', 'dkim', 'spf', 'dmarc']);
    expect(JSON.stringify(view)).not.toContain('PRIVATE KEY');
    const audit = await listAudit(h.database.db, { limit: 20 });
    expect(audit.find((a) => a.action === 'domain.add')?.actor).toBe(`user:${h.users.admin.email}`);
    expect(await codeOf(admin.domains.add({ name: 'mail.example.com' }))).toBe('CONFLICT');
  });

  it('refuses a bad name with the field named', async () => {
    const err = await h
      .caller(h.users.admin)
      .domains.add({ name: 'not a domain' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe('BAD_REQUEST');
    expect(JSON.stringify((err as TRPCError).cause)).toContain('name');
  });

  it('operators and viewers read and check, but cannot add, rotate or remove', async () => {
    for (const who of [h.users.operator, h.users.viewer]) {
      const c = h.caller(who);
      expect((await c.domains.list()).map((d) => d.name)).toContain('mail.example.com');
      expect((await c.domains.get({ name: 'mail.example.com' })).records.length).toBe(4);
      expect((await c.domains.check({ name: 'mail.example.com' })).records).toHaveLength(4);
      expect(await codeOf(c.domains.add({ name: 'other.example.com' }))).toBe('FORBIDDEN');
      expect(await codeOf(c.domains.rotate({ name: 'mail.example.com' }))).toBe('FORBIDDEN');
      expect(await codeOf(c.domains.remove({ name: 'mail.example.com' }))).toBe('FORBIDDEN');
    }
    const anon = h.caller(null);
    expect(await codeOf(anon.domains.list())).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.domains.get({ name: 'mail.example.com' }))).toBe('UNAUTHORIZED');
    expect(await codeOf(h.caller(h.users.viewer).domains.get({ name: 'nope.example' }))).toBe(
      'NOT_FOUND',
    );
    const keys = (await h.caller(h.users.admin).domains.get({ name: 'mail.example.com' })).keys;
    expect(keys).toHaveLength(2); // nothing was rotated
  });

  it('checks each record against the local DNS: found, missing, different with the value expected', async () => {
    const viewer = h.caller(h.users.viewer);
    const { records } = await viewer.domains.get({ name: 'mail.example.com' });
    const [rsa, ed, spf] = records;
    dns.publish(rsa!.name, rsa!.value);
    dns.publish(ed!.name, 'v=DKIM1; k=ed25519; p=AAAA');
    dns.publish(spf!.name, spf!.value);
    const check = await viewer.domains.check({ name: 'mail.example.com' });
    expect(check.ok).toBe(false);
    expect(check.records.map((r) => [r.purpose, r.status])).toEqual([
      ['dkim', 'found'],
      ['dkim', 'different'],
      ['spf', 'found'],
      ['dmarc', 'missing'],
    ]);
    expect(check.records[1]).toMatchObject({
      value: ed!.value,
      found: ['v=DKIM1; k=ed25519; p=AAAA'],
    });
  });

  it('an admin rotates (new selectors published beside the old) and removes', async () => {
    const admin = h.caller(h.users.admin);
    const rotated = await admin.domains.rotate({ name: 'mail.example.com', publish_wait: '1d' });
    expect(rotated.keys.map((k) => k.state)).toEqual(['active', 'active', 'pending', 'pending']);
    expect(rotated.records.filter((r) => r.purpose === 'dkim')).toHaveLength(4);
    expect(await codeOf(admin.domains.rotate({ name: 'mail.example.com', grace: 'soon' }))).toBe(
      'BAD_REQUEST',
    );
    expect(await admin.domains.remove({ name: 'mail.example.com' })).toEqual({
      removed: 'mail.example.com',
    });
    expect(await admin.domains.list()).toEqual([]);
    const actions = (await listAudit(h.database.db, { limit: 50 })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['domain.rotate', 'domain.remove']));
  });

  it('without the secrets key, adding is refused with what to set', async () => {
    const bare = await createHarness();
    try {
      const err = await bare
        .caller(bare.users.admin)
        .domains.add({ name: 'nokey.example.com' })
        .catch((e: unknown) => e as TRPCError);
      expect((err as TRPCError).code).toBe('SERVICE_UNAVAILABLE');
      expect((err as TRPCError).message).toMatch(/KOUKAN_SECRETS_KEY/);
      expect(await bare.caller(bare.users.admin).domains.list()).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
