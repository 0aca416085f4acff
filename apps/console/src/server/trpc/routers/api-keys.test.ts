import { listAudit } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();
let sender: string;
beforeAll(async () => {
  sender = uniqueName('s');
  await h.caller(h.users.admin).senders.create({ name: sender });
});

describe('apiKeys router', () => {
  it('creates a key whose secret is shown once; lists it by prefix, never the secret', async () => {
    const admin = h.caller(h.users.admin);
    const created = await admin.apiKeys.create({ sender, name: 'billing prod' });
    expect(created.key).toMatch(/^kk_[A-Za-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);
    const secretPart = created.key.slice(created.apiKey.prefix.length + 1);

    for (const who of [h.users.viewer, h.users.operator, h.users.admin]) {
      const listed = await h.caller(who).apiKeys.list({ sender });
      expect(listed).toEqual([
        {
          id: created.apiKey.id,
          sender,
          name: 'billing prod',
          prefix: created.apiKey.prefix,
          created_at: expect.any(Date),
          last_used_at: null,
          revoked_at: null,
        },
      ]);
      expect(JSON.stringify(listed)).not.toContain(secretPart);
    }
    const byPrefix = await h.caller(h.users.viewer).apiKeys.list({ prefix: created.apiKey.prefix });
    expect(byPrefix.map((k) => k.id)).toEqual([created.apiKey.id]);
    expect(
      (await h.caller(h.users.viewer).senders.list()).find((s) => s.name === sender),
    ).toMatchObject({ active_keys: 1 });

    const audit = (await listAudit(h.database.db, { limit: 500 })).filter(
      (a) => a.entityId === created.apiKey.id,
    );
    expect(audit).toMatchObject([
      {
        action: 'api_key.create',
        actor: `user:${h.users.admin.email}`,
        details: { sender, prefix: created.apiKey.prefix },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(secretPart);
  });

  it('lets only admins create and revoke keys', async () => {
    const { apiKey } = await h.caller(h.users.admin).apiKeys.create({ sender });
    for (const who of [h.users.viewer, h.users.operator, null]) {
      const c = h.caller(who);
      const expected = who ? 'FORBIDDEN' : 'UNAUTHORIZED';
      expect(await codeOf(c.apiKeys.create({ sender }))).toBe(expected);
      expect(await codeOf(c.apiKeys.revoke({ id: apiKey.id }))).toBe(expected);
    }
    expect(await codeOf(h.caller(null).apiKeys.list({}))).toBe('UNAUTHORIZED');
    const keys = await h.caller(h.users.admin).apiKeys.list({ sender });
    expect(keys.find((k) => k.id === apiKey.id)?.revoked_at).toBeNull();
  });

  it('revokes a key once, audited; the list hides it unless asked', async () => {
    const admin = h.caller(h.users.admin);
    const { apiKey } = await admin.apiKeys.create({ sender, name: 'old' });
    const revoked = await admin.apiKeys.revoke({ id: apiKey.id });
    expect(revoked.revoked_at).toBeInstanceOf(Date);
    expect(await codeOf(admin.apiKeys.revoke({ id: apiKey.id }))).toBe('CONFLICT');
    expect(await codeOf(admin.apiKeys.revoke({ id: '00000000-0000-4000-8000-000000000000' }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(admin.apiKeys.revoke({ id: 'not-a-uuid' }))).toBe('BAD_REQUEST');
    expect((await admin.apiKeys.list({ sender })).map((k) => k.id)).not.toContain(apiKey.id);
    expect(
      (await admin.apiKeys.list({ sender, include_revoked: true })).find((k) => k.id === apiKey.id),
    ).toMatchObject({ revoked_at: expect.any(Date) });
    const audit = (await listAudit(h.database.db, { limit: 500 })).filter(
      (a) => a.entityId === apiKey.id,
    );
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['api_key.revoke', `user:${h.users.admin.email}`],
      ['api_key.create', `user:${h.users.admin.email}`],
    ]);
    expect(await codeOf(admin.apiKeys.create({ sender: uniqueName('nobody') }))).toBe('NOT_FOUND');
  });
});
