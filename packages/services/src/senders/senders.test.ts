import { listAudit } from '@koukan/db';
import { ensureChain, uniqueName } from '@koukan/db/testing';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiKeyCreate } from '../api-keys/create.ts';
import { apiKeyList } from '../api-keys/list.ts';
import { apiKeyRevoke } from '../api-keys/revoke.ts';
import { requireSender } from '../auth/authenticate.ts';
import { cachedAuthenticate } from '../auth/principal-cache.ts';
import { useTestDatabase } from '../testing/database.ts';
import { senderCreate } from './create.ts';
import { senderList } from './list.ts';
import { senderDisable, senderEnable, senderUpdate } from './update.ts';

const { t, ctx } = useTestDatabase('user:admin@example.com');
let chain: string;
beforeAll(async () => {
  chain = await ensureChain(t.db, undefined, [{ filter: 'sandbox' }]);
});
afterEach(() => vi.restoreAllMocks());

async function auditOf(entityId: string) {
  return (await listAudit(t.db, { limit: 500 })).filter((a) => a.entityId === entityId);
}

describe('senders', () => {
  it('creates, edits with before/after, and refuses what does not fit', async () => {
    const name = uniqueName('s');
    await expect(
      senderCreate({ ctx, input: { name, output_chain: 'no-such-chain' } }),
    ).rejects.toMatchObject({ code: 'bad_request', details: [{ field: 'output_chain' }] });
    await expect(
      senderCreate({ ctx, input: { name, retry: { schedule: [] } } }),
    ).rejects.toMatchObject({ code: 'bad_request', details: [{ field: 'retry.schedule' }] });
    const created = await senderCreate({
      ctx,
      input: { name, output_chain: chain, retry: { schedule: ['1m', '5m'], max_attempts: 5 } },
    });
    expect(created).toMatchObject({ name, output_chain: chain, enabled: true, version: 1 });
    await expect(senderCreate({ ctx, input: { name } })).rejects.toMatchObject({
      code: 'conflict',
      details: [{ field: 'name' }],
    });

    const edited = await senderUpdate({
      ctx,
      input: {
        name,
        expected_version: 1,
        patch: {
          description: 'billing',
          retry: { schedule: ['30s'], max_attempts: 3, max_age: '1d' },
          notification: { enabled: true, sender: name },
        },
      },
    });
    expect(edited).toMatchObject({ description: 'billing', version: 2 });
    // The form was loaded at version 1: a second save from it is a conflict.
    await expect(
      senderUpdate({ ctx, input: { name, expected_version: 1, patch: { description: 'x' } } }),
    ).rejects.toMatchObject({ code: 'conflict' });
    // Saving what is there changes and records nothing.
    expect(
      await senderUpdate({ ctx, input: { name, patch: { description: 'billing' } } }),
    ).toMatchObject({ version: 2 });
    await expect(
      senderUpdate({ ctx, input: { name, patch: { output_chain: 'gone' } } }),
    ).rejects.toMatchObject({ details: [{ field: 'patch.output_chain' }] });

    const audit = await auditOf(created.id);
    expect(audit.map((a) => a.action)).toEqual(['sender.update', 'sender.create']);
    expect(audit[0]!.details).toMatchObject({
      before: { description: '', retry: { schedule: ['1m', '5m'], max_attempts: 5 } },
      after: {
        description: 'billing',
        retry: { schedule: ['30s'], max_attempts: 3, max_age: '1d' },
        notification: { enabled: true, sender: name },
      },
    });
    expect(audit[1]!.actor).toBe('user:admin@example.com');
    const listed = (await senderList({ ctx, input: {} })).find((s) => s.name === name);
    expect(listed).toMatchObject({ description: 'billing', active_keys: 0 });
  });
});

describe('API keys and the principal cache', () => {
  it('a disabled sender’s keys are refused once the 1 s cache expires', async () => {
    const name = uniqueName('s');
    await senderCreate({ ctx, input: { name } });
    const { key } = await apiKeyCreate({ ctx, input: { sender: name } });
    const auth = cachedAuthenticate(1000);
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const call = { ctx, input: { authorization: `Bearer ${key}` } };
    expect(requireSender(await auth(call), name).name).toBe(name);

    await senderDisable({ ctx, input: { name } });
    clock += 999; // still the remembered principal
    expect(requireSender(await auth(call), name).enabled).toBe(true);
    clock += 2; // past the cache: read again, refused
    const principal = await auth(call);
    expect(() => requireSender(principal, name)).toThrow(/disabled/);

    await senderEnable({ ctx, input: { name } });
    clock += 1001;
    expect(requireSender(await auth(call), name).enabled).toBe(true);
    const audit = await auditOf(
      (await senderList({ ctx, input: {} })).find((s) => s.name === name)!.id,
    );
    expect(audit.map((a) => a.action)).toEqual([
      'sender.enable',
      'sender.disable',
      'sender.create',
    ]);
  });

  it('clear() forgets remembered principals: a revoked key is refused at once', async () => {
    const name = uniqueName('s');
    await senderCreate({ ctx, input: { name } });
    const { key, apiKey } = await apiKeyCreate({ ctx, input: { sender: name } });
    const auth = cachedAuthenticate(60_000);
    const call = { ctx, input: { authorization: `Bearer ${key}` } };
    expect(requireSender(await auth(call), name).name).toBe(name);
    await apiKeyRevoke({ ctx, input: { id: apiKey.id } });
    // Remembered: the cache alone would accept it for a minute.
    expect(requireSender(await auth(call), name).name).toBe(name);
    auth.clear();
    await expect(auth(call)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('creates a key shown once, lists it by prefix with its last use, revokes it', async () => {
    const name = uniqueName('s');
    await senderCreate({ ctx, input: { name } });
    const created = await apiKeyCreate({ ctx, input: { sender: name, name: 'billing prod' } });
    expect(created.key).toMatch(/^kk_[A-Za-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);
    const other = await apiKeyCreate({ ctx, input: { sender: name } });

    const byPrefix = await apiKeyList({
      ctx,
      input: { prefix: created.apiKey.prefix.slice(0, 9) },
    });
    expect(byPrefix.map((k) => k.id)).toContain(created.apiKey.id);
    expect(byPrefix.every((k) => k.prefix.startsWith(created.apiKey.prefix.slice(0, 9)))).toBe(
      true,
    );
    const listed = await apiKeyList({ ctx, input: { sender: name } });
    expect(listed.map((k) => [k.id, k.name, k.last_used_at])).toEqual([
      [other.apiKey.id, '', null],
      [created.apiKey.id, 'billing prod', null],
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key.slice(14));

    const auth = cachedAuthenticate(1000);
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const call = { ctx, input: { authorization: `Bearer ${created.key}` } };
    await auth(call);
    const used = (await apiKeyList({ ctx, input: { sender: name } })).find(
      (k) => k.id === created.apiKey.id,
    )!;
    expect(used.last_used_at).toBeInstanceOf(Date);

    const revoked = await apiKeyRevoke({ ctx, input: { id: created.apiKey.id } });
    expect(revoked.revoked_at).toBeInstanceOf(Date);
    await expect(apiKeyRevoke({ ctx, input: { id: created.apiKey.id } })).rejects.toMatchObject({
      code: 'conflict',
    });
    clock += 1001;
    await expect(auth(call)).rejects.toMatchObject({ code: 'unauthorized' });
    expect((await apiKeyList({ ctx, input: { sender: name } })).map((k) => k.id)).toEqual([
      other.apiKey.id,
    ]);
    expect((await apiKeyList({ ctx, input: { sender: name, include_revoked: true } })).length).toBe(
      2,
    );
    const audit = await auditOf(created.apiKey.id);
    expect(audit.map((a) => [a.action, a.details.prefix])).toEqual([
      ['api_key.revoke', created.apiKey.prefix],
      ['api_key.create', created.apiKey.prefix],
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.key);
    await expect(apiKeyCreate({ ctx, input: { sender: 'nobody-x' } })).rejects.toMatchObject({
      code: 'not_found',
      details: [{ field: 'sender' }],
    });
  });
});
