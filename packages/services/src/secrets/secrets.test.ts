import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAudit } from '@koukan/db';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { useTestDatabase } from '../testing/database.ts';
import { parseSecretKey, secretKeyFromBytes } from './cipher.ts';
import { createSecret } from './create-secret.ts';
import { deleteSecret } from './delete-secret.ts';
import { loadSecretKey } from './key-file.ts';
import { listSecrets } from './list-secrets.ts';
import { readSecret } from './read-secret.ts';
import { rotateSecret } from './rotate-secret.ts';
import { setSecret } from './set-secret.ts';
import { createSecretStore } from './store.ts';

const key = secretKeyFromBytes(randomBytes(32));
const PLAIN = 'kk_LiveKey0001_top-secret-value-that-must-never-be-stored-in-clear';
const { t, ctx } = useTestDatabase('user:admin@example.com', { secretKey: key });

/** Everything the database holds for secrets and the audit log, as text and as bytes. */
async function rawDump(): Promise<string> {
  const { rows } = await t.pool.query(
    `select name, key_id, encode(nonce, 'hex') n, encode(ciphertext, 'escape') c,
            encode(ciphertext, 'base64') b, encode(ciphertext, 'hex') h from secrets`,
  );
  const audit = await t.pool.query('select details::text from audit_log');
  return JSON.stringify(rows) + JSON.stringify(audit.rows);
}

describe('secret store', () => {
  it('stores values encrypted: the database holds no plaintext, only names and a key fingerprint', async () => {
    await createSecret({ ctx, input: { name: 'gateway/prod', value: PLAIN } });
    const dump = await rawDump();
    expect(dump).toContain('gateway/prod');
    expect(dump).toContain(key.id);
    for (const needle of [
      PLAIN,
      'top-secret',
      Buffer.from(PLAIN).toString('base64').slice(0, 20),
    ]) {
      expect(dump).not.toContain(needle);
    }
    expect(dump).not.toContain(Buffer.from('top-secret').toString('hex'));
    expect(await readSecret(t.db, key, 'gateway/prod')).toBe(PLAIN);
  });

  it('creates, lists (names only), rotates and deletes, each audited without the value', async () => {
    await expect(
      createSecret({ ctx, input: { name: 'gateway/prod', value: 'x' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(rotateSecret({ ctx, input: { name: 'nope', value: 'x' } })).rejects.toMatchObject({
      code: 'not_found',
    });
    const rotated = await rotateSecret({ ctx, input: { name: 'gateway/prod', value: 'second' } });
    expect(rotated.version).toBe(2);
    expect(await readSecret(t.db, key, 'gateway/prod')).toBe('second');
    expect(await setSecret({ ctx, input: { name: 'other', value: 'v' } })).toMatchObject({
      created: true,
    });
    const list = await listSecrets({ ctx, input: undefined });
    expect(list.map((s) => s.name)).toEqual(['gateway/prod', 'other']);
    expect(JSON.stringify(list)).not.toMatch(/second|"v"|ciphertext|nonce/);
    await deleteSecret({ ctx, input: { name: 'other' } });
    expect(await readSecret(t.db, key, 'other')).toBeUndefined();
    const audit = (await listAudit(t.db, { limit: 100 })).filter((a) => a.entityType === 'secret');
    expect(audit.map((a) => [a.action, a.entityId, a.actor]).reverse()).toEqual([
      ['secret.create', 'gateway/prod', 'user:admin@example.com'],
      ['secret.rotate', 'gateway/prod', 'user:admin@example.com'],
      ['secret.create', 'other', 'user:admin@example.com'],
      ['secret.delete', 'other', 'user:admin@example.com'],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/second|top-secret/);
  });

  it('refuses bad names and empty values with the field named', async () => {
    const err = await createSecret({ ctx, input: { name: '../etc', value: '' } }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details.map((d) => d.field).sort()).toEqual(['name', 'value']);
  });

  it('fails loudly with a wrong key, naming both key fingerprints; never a wrong value', async () => {
    const wrong = secretKeyFromBytes(randomBytes(32));
    const err = await readSecret(t.db, wrong, 'gateway/prod').catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as Error).message).toContain(key.id);
    expect((err as Error).message).toContain(wrong.id);
    // no key at all: says how to configure one
    await expect(readSecret(t.db, undefined, 'gateway/prod')).rejects.toThrow(/KOUKAN_SECRETS_KEY/);
    await expect(
      createSecret({ ctx: { ...ctx, secretKey: undefined }, input: { name: 'n', value: 'v' } }),
    ).rejects.toThrow(/no secrets key/);
  });

  it('detects a value altered in the database or moved to another name', async () => {
    await createSecret({ ctx, input: { name: 'a', value: 'value-a' } });
    await createSecret({ ctx, input: { name: 'b', value: 'value-b' } });
    // b's ciphertext copied onto a: the name is bound as associated data
    await t.pool.query(
      `update secrets set nonce = (select nonce from secrets where name = 'b'),
         ciphertext = (select ciphertext from secrets where name = 'b') where name = 'a'`,
    );
    await expect(readSecret(t.db, key, 'a')).rejects.toThrow(/cannot be decrypted/);
    await t.pool.query(
      `update secrets set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) where name = 'b'`,
    );
    await expect(readSecret(t.db, key, 'b')).rejects.toThrow(/cannot be decrypted/);
  });

  it("the chains' port takes KOUKAN_SECRET_<REF> first, then the database", async () => {
    const store = createSecretStore({
      db: t.db,
      key,
      env: new Map([['KOUKAN_SECRET_GATEWAY_PROD', 'from-env']]),
    });
    expect(await store.get('gateway/prod')).toBe('from-env');
    await createSecret({ ctx, input: { name: 'db-only', value: 'from-db' } });
    expect(await store.get('db-only')).toBe('from-db');
    expect(await store.get('absent')).toBeUndefined();
    const wrongStore = createSecretStore({ db: t.db, key: secretKeyFromBytes(randomBytes(32)) });
    await expect(wrongStore.get('db-only')).rejects.toThrow(/encrypted with secrets key/);
  });
});

describe('the secrets key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated once in the data folder, mode 0600, and read back the same', () => {
    const file = join(dir, 'nested', 'secrets.key');
    expect(loadSecretKey({ file })).toBeUndefined();
    const first = loadSecretKey({ file, create: true })!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(loadSecretKey({ file, create: true })!.id).toBe(first.id);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    // the environment's key wins over the file
    const env = randomBytes(32).toString('base64');
    expect(loadSecretKey({ value: env, file })!.id).toBe(parseSecretKey(env).id);
  });

  it('refuses a malformed key instead of using it', () => {
    expect(() => parseSecretKey('too-short')).toThrow(/32 random bytes/);
    expect(() => parseSecretKey(randomBytes(16).toString('base64'))).toThrow(/32 random bytes/);
    expect(parseSecretKey(randomBytes(32).toString('hex')).id).toMatch(/^[0-9a-f]{16}$/);
    // the key object never serializes its bytes
    const k = parseSecretKey(randomBytes(32).toString('base64'));
    expect(JSON.stringify({ k })).toBe(`{"k":{"id":"${k.id}"}}`);
  });
});
