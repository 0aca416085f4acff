import { randomBytes } from 'node:crypto';
import { listAudit } from '@koukan/db';
import { describe, expect, it } from 'vitest';
import { configImportPreview } from '../config/preview.ts';
import { configExport, configImportApply } from '../config/yaml.ts';
import { secretKeyFromBytes } from '../secrets/cipher.ts';
import { readSecret } from '../secrets/read-secret.ts';
import { setSecret } from '../secrets/set-secret.ts';
import { useTestDatabase } from '../testing/database.ts';
import { addDomain } from './add-domain.ts';
import { rotateDomain } from './rotate-domain.ts';
import { showDomain } from './show-domain.ts';
import { createDkimKeyStore } from './signing-keys.ts';
import { updateDomain } from './update-domain.ts';

// Domains made by the services travel through the YAML file to another database (the secrets
// separately, under that database's own key), audited there, and sign there with the same keys.
const now = () => new Date('2026-05-01T08:00:00Z');
const secretKey = () => secretKeyFromBytes(randomBytes(32));
const { t: a, ctx: ctxA } = useTestDatabase('user:a@example.com', { now, secretKey: secretKey() });
const { t: b, ctx: ctxB } = useTestDatabase('user:b@example.com', { now, secretKey: secretKey() });

describe('domains in the configuration file', () => {
  it('export → import carries settings, keys and their schedule; secrets travel apart; audited', async () => {
    await addDomain({ ctx: ctxA, input: { name: 'example.com' } });
    await updateDomain({
      ctx: ctxA,
      input: {
        name: 'example.com',
        settings: {
          dmarc: { policy: 'reject', rua: [] },
          tls_rpt: { rua: ['mailto:tls@example.com'] },
        },
      },
    });
    await rotateDomain({ ctx: ctxA, input: { name: 'example.com', publish_wait: '1d' } });
    const { yaml } = await configExport({ ctx: ctxA, input: {} });
    expect(yaml).not.toMatch(/PRIVATE KEY/);

    const preview = await configImportPreview({ ctx: ctxB, input: { yaml } });
    expect(preview.domains).toHaveLength(1);
    expect(preview.domains[0]).toMatchObject({ name: 'example.com', change: 'create' });
    expect(
      preview.domains[0]!.fields.filter((f) => f.path.startsWith('keys.')).map((f) => f.path),
    ).toEqual(['keys.k2026a', 'keys.e2026a', 'keys.k2026b', 'keys.e2026b']);
    expect(preview.problems).toEqual([]);
    const result = await configImportApply({ ctx: ctxB, input: { yaml } });
    expect(result.changedDomains).toEqual(['example.com']);
    expect(result.missingSecrets.sort()).toEqual([
      'dkim/example.com/e2026a',
      'dkim/example.com/e2026b',
      'dkim/example.com/k2026a',
      'dkim/example.com/k2026b',
    ]);
    const [viewA, viewB] = await Promise.all([
      showDomain({ ctx: ctxA, input: { name: 'example.com' } }),
      showDomain({ ctx: ctxB, input: { name: 'example.com' } }),
    ]);
    expect(viewB.records).toEqual(viewA.records);
    expect(viewB.keys.map(({ created_at: _, ...k }) => k)).toEqual(
      viewA.keys.map(({ created_at: _, ...k }) => k),
    );
    const audit = await listAudit(b.db, { limit: 10 });
    expect(audit.find((e) => e.action === 'domain.import')).toMatchObject({
      actor: 'user:b@example.com',
      details: { name: 'example.com' },
    });
    // the same file again changes nothing
    expect((await configImportPreview({ ctx: ctxB, input: { yaml } })).domains[0]!.change).toBe(
      'unchanged',
    );
    expect((await configImportApply({ ctx: ctxB, input: { yaml } })).changedDomains).toEqual([]);

    // until its secrets are stored, B cannot sign for the domain (deferred, not unsigned)
    const storeB = createDkimKeyStore({ db: b.db, key: ctxB.secretKey, now, ttlMs: 0 });
    await expect(storeB.keysFor('example.com')).rejects.toThrow(/is missing/);
    for (const name of result.missingSecrets) {
      const value = (await readSecret(a.db, ctxA.secretKey, name))!;
      await setSecret({ ctx: ctxB, input: { name, value } });
    }
    const [keysA, keysB] = await Promise.all([
      createDkimKeyStore({ db: a.db, key: ctxA.secretKey, now }).keysFor('example.com'),
      storeB.keysFor('example.com'),
    ]);
    expect(keysB).toEqual(keysA);
    expect(keysB?.keys.map((k) => k.selector)).toEqual(['k2026a', 'e2026a']);
  });

  it('refuses a file that gives an existing selector another key, by path', async () => {
    const { yaml } = await configExport({ ctx: ctxA, input: {} });
    const forged = yaml.replace(
      /public_key: MII[A-Za-z0-9+/=]+/,
      'public_key: MCowBQYDK2VwAyEAforged',
    );
    const preview = await configImportPreview({ ctx: ctxB, input: { yaml: forged } });
    expect(preview.problems).toEqual([
      { field: 'domain[0].keys[0].public_key', message: expect.stringContaining('rotate') },
    ]);
    await expect(configImportApply({ ctx: ctxB, input: { yaml: forged } })).rejects.toMatchObject({
      code: 'bad_request',
      details: [
        { field: 'domain[0].keys[0].public_key', message: expect.stringContaining('rotate') },
      ],
    });
  });
});
