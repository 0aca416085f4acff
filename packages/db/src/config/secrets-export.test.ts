import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../queries/audit.ts';
import { upsertChain } from '../queries/chains.ts';
import { insertDomain, insertDomainKeys } from '../queries/domains.ts';
import { insertSecret } from '../queries/secrets.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { exportConfig, exportConfigObject } from './export.ts';
import { importConfig } from './import.ts';

const PEM =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINlinelinelinelinelinelinelinelinelinelin\n-----END PRIVATE KEY-----';

describe('configuration export and secrets', () => {
  const a = useTestDatabase();
  const b = useTestDatabase();
  beforeAll(async () => {
    // a domain whose private key is a secret (sealed bytes: the export must not need them)
    const d = await insertDomain(a.db, {
      name: 'example.com',
      settings: { dmarc: { policy: 'reject', rua: [] } },
    });
    await insertSecret(a.db, 'dkim/example.com/k2026a', {
      keyId: '0123456789abcdef',
      nonce: Buffer.alloc(12, 1),
      ciphertext: Buffer.from('sealed-bytes-not-a-key'),
    });
    await insertDomainKeys(a.db, d.id, [
      {
        selector: 'k2026a',
        algorithm: 'rsa-sha256',
        publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
        secretName: 'dkim/example.com/k2026a',
        activeFrom: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
    // a chain stored before inline secrets were refused (written directly, unvalidated)
    await upsertChain(a.db, {
      name: 'legacy',
      filters: [
        { filter: 'dkim_sign', keys: [{ domain: 'example.com', selector: 's', private_key: PEM }] },
        {
          filter: 'rest_output',
          url: 'http://127.0.0.1:1',
          sender: 'o',
          api_key: 'kk_inline_key_0001',
        },
      ],
      author: 'test',
    });
  });

  it('never prints a secret: domains name their secrets, inline keys are redacted', async () => {
    const yaml = await exportConfig(a.db);
    expect(yaml).toContain('secret: dkim/example.com/k2026a');
    expect(yaml).toContain('public_key: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA');
    for (const secret of [
      'PRIVATE KEY',
      'MC4CAQAwBQYDK2VwBCIE',
      'kk_inline_key_0001',
      'sealed-bytes',
      'c2VhbGVk',
    ]) {
      expect(yaml).not.toContain(secret);
    }
    expect(yaml.match(/REDACTED: store it with `koukan secret set <name>`/g)).toHaveLength(2);
  });

  it('imports domains idempotently, audited, and names the secrets the target lacks', async () => {
    // the domains of the export (its legacy chain has placeholders instead of keys)
    const yaml = { sender: [], chain: [], domain: (await exportConfigObject(a.db)).domain };
    const first = await importConfig(b.db, yaml, { actor: 'test' });
    expect(first).toMatchObject({
      changedDomains: ['example.com'],
      missingSecrets: ['dkim/example.com/k2026a'],
    });
    const again = await importConfig(b.db, yaml, { actor: 'test' });
    expect(again.changedDomains).toEqual([]);
    expect(
      (await listAudit(b.db, { limit: 10 })).filter((e) => e.action === 'domain.import'),
    ).toHaveLength(1);
    const { rows } = await b.pool.query(
      `select d.name, d.settings, k.selector, k.secret_name from domains d join domain_keys k on k.domain_id = d.id`,
    );
    expect(rows).toEqual([
      {
        name: 'example.com',
        settings: { dmarc: { policy: 'reject', rua: [] } },
        selector: 'k2026a',
        secret_name: 'dkim/example.com/k2026a',
      },
    ]);
  });
  it('refuses a file that repeats a selector, or gives an existing selector another key', async () => {
    const { domain } = await exportConfigObject(a.db);
    const key = domain[0]!.keys[0]!;
    const twice = {
      sender: [],
      chain: [],
      domain: [{ ...domain[0]!, keys: [key, { ...key }] }],
    };
    await expect(importConfig(b.db, twice, { actor: 'test' })).rejects.toMatchObject({
      issues: [{ path: 'domain[0].keys[1].selector', message: 'duplicate selector "k2026a"' }],
    });
    const other = {
      sender: [],
      chain: [],
      domain: [
        {
          ...domain[0]!,
          settings: { dmarc: { policy: 'none' as const, rua: [] } },
          keys: [{ ...key, public_key: 'MCowBQYDK2VwAyEAother' }],
        },
      ],
    };
    await expect(importConfig(b.db, other, { actor: 'test' })).rejects.toMatchObject({
      issues: [
        {
          path: 'domain[0].keys[0].public_key',
          message: expect.stringContaining('rotate to a new selector'),
        },
      ],
    });
    // rolled back: the settings of the refused file were not applied either
    const { rows } = await b.pool.query(
      `select d.settings, k.public_key from domains d join domain_keys k on k.domain_id = d.id`,
    );
    expect(rows).toEqual([
      { settings: { dmarc: { policy: 'reject', rua: [] } }, public_key: key.public_key },
    ]);
  });
});
