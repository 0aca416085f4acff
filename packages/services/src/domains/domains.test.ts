import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { listAudit } from '@koukan/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKeyFromBytes } from '../secrets/cipher.ts';
import { deleteSecret } from '../secrets/delete-secret.ts';
import { useTestDatabase } from '../testing/database.ts';
import { type LocalDns, startLocalDns } from '../testing/dns-server.ts';
import { addDomain } from './add-domain.ts';
import { checkDomain } from './check-domain.ts';
import { listDomains } from './list-domains.ts';
import { removeDomain } from './remove-domain.ts';
import { rotateDomain } from './rotate-domain.ts';
import { showDomain } from './show-domain.ts';
import { createDkimKeyStore } from './signing-keys.ts';
import { updateDomain } from './update-domain.ts';

// DNS is served locally (a dns2 server on loopback) because these machines cannot reach the
// internet; the check talks real DNS to it through node's resolver.
let dns: LocalDns;
let clock = new Date('2026-03-01T10:00:00Z');
const key = secretKeyFromBytes(randomBytes(32));
const DAY = 86_400_000;
const resolver = new Resolver({ timeout: 2000, tries: 1 });
const { t, ctx } = useTestDatabase('user:admin@example.com', {
  secretKey: key,
  now: () => clock,
  dns: (name, type) => resolver.resolve(name, type) as Promise<unknown[]>,
});

beforeAll(async () => {
  dns = await startLocalDns();
  resolver.setServers([dns.address]);
});
afterAll(() => dns.close());

describe('sending domains', () => {
  it('adds a domain with dated RSA-2048 and Ed25519 keys, private keys as encrypted secrets', async () => {
    const view = await addDomain({ ctx, input: { name: 'Example.COM' } });
    expect(view.name).toBe('example.com');
    expect(view.keys.map((k) => [k.selector, k.algorithm, k.state, k.secret])).toEqual([
      ['k2026a', 'rsa-sha256', 'active', 'dkim/example.com/k2026a'],
      ['e2026a', 'ed25519-sha256', 'active', 'dkim/example.com/e2026a'],
    ]);
    const rsa = view.records.find((r) => r.selector === 'k2026a')!;
    expect(rsa.name).toBe('k2026a._domainkey.example.com');
    // a 2048-bit SubjectPublicKeyInfo: 294 bytes, 392 base64 characters
    expect(rsa.value).toMatch(/^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/]{384}$/);
    expect(view.records.find((r) => r.selector === 'e2026a')!.value).toMatch(
      /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/,
    );
    expect(view.records.filter((r) => r.purpose !== 'dkim').map((r) => [r.name, r.value])).toEqual([
      ['example.com', 'v=spf1 mx ~all'],
      ['_dmarc.example.com', 'v=DMARC1; p=none'],
    ]);
    const { rows } = await t.pool.query(`select name, encode(ciphertext, 'escape') c from secrets`);
    expect(rows.map((r) => r.name).sort()).toEqual([
      'dkim/example.com/e2026a',
      'dkim/example.com/k2026a',
    ]);
    expect(JSON.stringify(rows)).not.toContain('PRIVATE KEY');
    const audit = (await listAudit(t.db, { limit: 50 })).map((a) => a.action);
    expect(audit).toEqual(['domain.add', 'secret.create', 'secret.create']);
    await expect(addDomain({ ctx, input: { name: 'example.com' } })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(addDomain({ ctx, input: { name: 'not a domain' } })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ field: 'name' }],
    });
  });

  it('checks each record: missing, different (with the exact value expected) and found', async () => {
    const before = await checkDomain({ ctx, input: { name: 'example.com' } });
    expect(before.ok).toBe(false);
    expect(before.records.map((r) => r.status)).toEqual([
      'missing',
      'missing',
      'missing',
      'missing',
    ]);
    const view = await showDomain({ ctx, input: { name: 'example.com' } });
    const [rsa, ed, spf, dmarc] = view.records;
    dns.publish(rsa!.name, rsa!.value);
    // another key: its first character changed (a random key may already start with A)
    const otherKey = ed!.value.replace(/p=(.)/, (_, c: string) => `p=${c === 'A' ? 'B' : 'A'}`);
    dns.publish(ed!.name, otherKey);
    dns.publish(spf!.name, 'google-site-verification=abc', 'v=spf1 a -all');
    dns.publish(dmarc!.name, 'v=DMARC1;p=none'); // other spacing: the same record
    const after = await checkDomain({ ctx, input: { name: 'example.com' } });
    expect(after.records.map((r) => [r.purpose, r.status])).toEqual([
      ['dkim', 'found'],
      ['dkim', 'different'],
      ['spf', 'different'],
      ['dmarc', 'found'],
    ]);
    expect(after.records[1]).toMatchObject({
      value: ed!.value,
      found: [otherKey],
    });
    expect(after.records[2]).toMatchObject({ value: 'v=spf1 mx ~all', found: ['v=spf1 a -all'] });
    dns.publish(ed!.name, ed!.value);
    dns.publish(spf!.name, 'v=spf1 mx ~all');
    expect((await checkDomain({ ctx, input: { name: 'example.com' } })).ok).toBe(true);
  });

  it('adds MTA-STS and TLS-RPT records when they are set', async () => {
    const view = await updateDomain({
      ctx,
      input: {
        name: 'example.com',
        settings: {
          dmarc: { policy: 'quarantine', rua: ['mailto:dmarc@example.com'] },
          mta_sts: { mode: 'enforce', mx: ['mx1.example.com'] },
          tls_rpt: { rua: ['mailto:tls@example.com'] },
        },
      },
    });
    const byPurpose = Object.fromEntries(view.records.map((r) => [r.purpose, r]));
    expect(byPurpose.dmarc!.value).toBe('v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com');
    expect(byPurpose['mta-sts']).toMatchObject({ name: '_mta-sts.example.com' });
    expect(byPurpose['mta-sts']!.value).toMatch(/^v=STSv1; id=[0-9a-f]{20}$/);
    expect(byPurpose['tls-rpt']).toMatchObject({
      name: '_smtp._tls.example.com',
      value: 'v=TLSRPTv1; rua=mailto:tls@example.com',
    });
    expect(view.mta_sts_policy).toEqual({
      url: 'https://mta-sts.example.com/.well-known/mta-sts.txt',
      body: 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n',
    });
    const check = await checkDomain({ ctx, input: { name: 'example.com' } });
    expect(
      check.records.filter((r) => r.status !== 'found').map((r) => [r.purpose, r.status]),
    ).toEqual([
      ['dmarc', 'different'],
      ['mta-sts', 'missing'],
      ['tls-rpt', 'missing'],
    ]);
  });

  it('signs with the domain (or its parent) keys; other domains get none', async () => {
    const store = createDkimKeyStore({ db: t.db, key, now: () => clock });
    const keys = await store.keysFor('news.example.com');
    expect(keys?.domain).toBe('example.com');
    expect(keys?.keys.map((k) => [k.selector, k.algorithm])).toEqual([
      ['k2026a', 'rsa-sha256'],
      ['e2026a', 'ed25519-sha256'],
    ]);
    expect(keys!.keys[0]!.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await store.keysFor('example.org')).toBeUndefined();
    expect(await store.keysFor('com')).toBeUndefined();
  });

  it('rotates: new keys published beside the old, signing after the wait; old retired after the grace', async () => {
    const rotated = await rotateDomain({
      ctx,
      input: { name: 'example.com', publish_wait: '2d', grace: '7d' },
    });
    expect(rotated.keys.map((k) => [k.selector, k.state])).toEqual([
      ['k2026a', 'active'],
      ['e2026a', 'active'],
      ['k2026b', 'pending'],
      ['e2026b', 'pending'],
    ]);
    expect(rotated.records.filter((r) => r.purpose === 'dkim').map((r) => r.selector)).toEqual([
      'k2026a',
      'e2026a',
      'k2026b',
      'e2026b',
    ]);
    const store = () => createDkimKeyStore({ db: t.db, key, now: () => clock });
    expect((await store().keysFor('example.com'))!.keys.map((k) => k.selector)).toEqual([
      'k2026a',
      'e2026a',
    ]);
    clock = new Date(clock.getTime() + 2 * DAY + 1000);
    expect((await store().keysFor('example.com'))!.keys.map((k) => k.selector)).toEqual([
      'k2026b',
      'e2026b',
    ]);
    let view = await showDomain({ ctx, input: { name: 'example.com' } });
    expect(view.keys.map((k) => k.state)).toEqual(['retiring', 'retiring', 'active', 'active']);
    // old mail still verifies: the old records stay published through the grace period
    expect(view.records.filter((r) => r.selector === 'k2026a')).toHaveLength(1);
    clock = new Date(clock.getTime() + 7 * DAY);
    view = await showDomain({ ctx, input: { name: 'example.com' } });
    expect(view.keys.map((k) => k.state)).toEqual(['retired', 'retired', 'active', 'active']);
    expect(view.records.filter((r) => r.purpose === 'dkim').map((r) => r.selector)).toEqual([
      'k2026b',
      'e2026b',
    ]);
    expect(view.retired_records.map((r) => r.selector)).toEqual(['k2026a', 'e2026a']);
    // the next rotation deletes the retired keys and their secrets
    const again = await rotateDomain({ ctx, input: { name: 'example.com' } });
    expect(again.keys.map((k) => k.selector)).toEqual(['k2026b', 'e2026b', 'k2026c', 'e2026c']);
    const { rows } = await t.pool.query(`select name from secrets order by name`);
    expect(rows.map((r) => r.name)).toEqual([
      'dkim/example.com/e2026b',
      'dkim/example.com/e2026c',
      'dkim/example.com/k2026b',
      'dkim/example.com/k2026c',
    ]);
  });

  it("keeps a key's secret while the key exists, and removes both with the domain", async () => {
    await expect(
      deleteSecret({ ctx, input: { name: 'dkim/example.com/k2026b' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('domain example.com key k2026b'),
    });
    await addDomain({ ctx, input: { name: 'example.net' } });
    expect((await listDomains({ ctx, input: undefined })).map((d) => d.name)).toEqual([
      'example.com',
      'example.net',
    ]);
    await removeDomain({ ctx, input: { name: 'example.com' } });
    const { rows } = await t.pool.query(`select name from secrets order by name`);
    expect(rows.map((r) => r.name)).toEqual(['dkim/example.net/e2026a', 'dkim/example.net/k2026a']);
    await expect(showDomain({ ctx, input: { name: 'example.com' } })).rejects.toMatchObject({
      code: 'not_found',
    });
    const actions = (await listAudit(t.db, { limit: 100 })).map((a) => a.action);
    expect(actions.filter((a) => a.startsWith('domain.'))).toEqual([
      'domain.remove',
      'domain.add',
      'domain.rotate',
      'domain.rotate',
      'domain.update',
      'domain.add',
    ]);
  });

  it('a key whose secret cannot be opened is an error, not a missing key', async () => {
    const wrong = createDkimKeyStore({
      db: t.db,
      key: secretKeyFromBytes(randomBytes(32)),
      now: () => clock,
    });
    await expect(wrong.keysFor('example.net')).rejects.toThrow(/encrypted with secrets key/);
  });
});
