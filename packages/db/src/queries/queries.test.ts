import { describe, expect, it } from 'vitest';
import { DbError } from '../client/errors.ts';
import { ensureChain, uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { createApiKey, findApiKey, listApiKeys, revokeApiKey, touchApiKey } from './api-keys.ts';
import { finishAttempt, listAttempts, startAttempt } from './attempts.ts';
import { listAudit, recordAudit } from './audit.ts';
import { getChainByName, listChainRevisions, upsertChain } from './chains.ts';
import { appendEvent, appendEvents, listEvents, recordJournalEvent } from './events.ts';
import {
  deregisterInstance,
  heartbeatInstance,
  listLiveInstances,
  markInstanceStopping,
  registerInstance,
} from './instances.ts';
import { getMeta, setMeta, setMetaOnce } from './meta.ts';
import { searchTransactions, type TransactionSearch } from './search-transactions.ts';
import { createSender, getSenderByName, updateSender, upsertSender } from './senders.ts';
import {
  findByIdempotencyKey,
  getTransaction,
  insertTransaction,
  updateTransaction,
} from './transactions.ts';

const t = useTestDatabase();

async function sender() {
  return createSender(t.db, { name: uniqueName('s') });
}

describe('senders', () => {
  it('round-trips and rejects a duplicate name with a typed error', async () => {
    const name = uniqueName('s');
    const created = await createSender(t.db, {
      name,
      output_chain: await ensureChain(t.db, 'out'),
      retry: { schedule: ['1m', '5m'], max_attempts: 5, max_age: '1d' },
      notification: { enabled: true, sender: 'submission' },
    });
    expect(await getSenderByName(t.db, name)).toEqual(created);
    expect(created.retry).toEqual({ schedule: ['1m', '5m'], max_attempts: 5, max_age: '1d' });
    const err = await createSender(t.db, { name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ code: 'unique_violation', constraint: 'senders_name_key' });
  });

  it('upserts without a version bump when nothing changed', async () => {
    const name = uniqueName('s');
    const a = await upsertSender(t.db, { name, description: 'one' });
    expect(a.changed).toBe(true);
    const b = await upsertSender(t.db, { name, description: 'one' });
    expect(b).toEqual({ sender: a.sender, changed: false });
    const c = await upsertSender(t.db, { name, description: 'two' });
    expect(c.changed).toBe(true);
    expect(c.sender.version).toBe(a.sender.version + 1);
    await expect(
      updateSender(t.db, uniqueName('missing'), { enabled: false }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('api keys', () => {
  it('stores only a hash, authenticates, and stops authenticating once revoked', async () => {
    const s = await sender();
    const { key, apiKey } = await createApiKey(t.db, { senderId: s.id, name: 'ci' });
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    expect(apiKey.hash).not.toContain(key.slice(14));
    const { rows } = await t.pool.query('select * from api_keys where id = $1', [apiKey.id]);
    expect(JSON.stringify(rows)).not.toContain(key);
    const found = await findApiKey(t.db, key);
    expect(found.map((f) => f.sender.id)).toEqual([s.id]);
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await findApiKey(t.db, `${key.slice(0, -1)}${last}`)).toEqual([]);
    expect(await findApiKey(t.db, 'not a key')).toEqual([]);
    await touchApiKey(t.db, apiKey.id);
    expect((await listApiKeys(t.db, s.id))[0]!.lastUsedAt).toBeInstanceOf(Date);
    expect(await revokeApiKey(t.db, apiKey.id)).toBe(true);
    expect(await revokeApiKey(t.db, apiKey.id)).toBe(false);
    expect(await findApiKey(t.db, key)).toEqual([]);
  });

  it('registers one given key for several senders, once each', async () => {
    const [a, b] = [await sender(), await sender()];
    const { key } = await createApiKey(t.db, { senderId: a.id });
    await createApiKey(t.db, { senderId: b.id, key });
    expect((await findApiKey(t.db, key)).map((f) => f.sender.name).sort()).toEqual(
      [a.name, b.name].sort(),
    );
    await expect(createApiKey(t.db, { senderId: a.id, key })).rejects.toMatchObject({
      code: 'unique_violation',
    });
    await expect(createApiKey(t.db, { senderId: a.id, key: 'short' })).rejects.toThrow(TypeError);
  });
});

describe('chains', () => {
  it('versions every change and keeps the revision history', async () => {
    const name = uniqueName('c');
    const one = await upsertChain(t.db, { name, filters: [{ filter: 'sandbox' }], author: 'test' });
    expect(one).toMatchObject({ changed: true, chain: { version: 1 } });
    expect(
      (await upsertChain(t.db, { name, filters: [{ filter: 'sandbox' }], author: 'test' })).changed,
    ).toBe(false);
    const two = await upsertChain(t.db, {
      name,
      filters: [{ filter: 'received_header' }, { filter: 'sandbox' }],
      author: 'alice',
    });
    expect(two.chain.version).toBe(2);
    expect(await getChainByName(t.db, name)).toEqual(two.chain);
    const revisions = await listChainRevisions(t.db, two.chain.id);
    expect(revisions.map((r) => [r.version, r.author, r.filters.length])).toEqual([
      [2, 'alice', 2],
      [1, 'test', 1],
    ]);
  });
});

describe('transactions, attempts, events', () => {
  it('round-trips a transaction and guards updates with its version', async () => {
    const s = await sender();
    const tx = await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'alice@example.com', e: [{ k: 'SMTPUTF8' }] },
      rcptTo: [{ m: 'Bob@Example.org', e: [{ k: 'NOTIFY', p: 'FAILURE' }] }],
      nextAttemptAt: new Date(),
      metadata: { source: 'test' },
    });
    expect(tx).toMatchObject({ status: 'queued', version: 1, rcptAddresses: ['bob@example.org'] });
    expect(await getTransaction(t.db, tx.id)).toEqual(tx);
    expect(await getTransaction(t.db, 'not-a-uuid')).toBeUndefined();

    const updated = await updateTransaction(
      t.db,
      tx.id,
      { mailResponse: { code: 250, message: 'ok' }, rcptResponse: [{ code: 250, message: 'ok' }] },
      1,
    );
    expect(updated.version).toBe(2);
    expect(updated.mailResponse).toEqual({ code: 250, message: 'ok' });
    await expect(updateTransaction(t.db, tx.id, { status: 'held' }, 1)).rejects.toMatchObject({
      code: 'version_conflict',
    });
    await expect(
      updateTransaction(t.db, '00000000-0000-4000-8000-000000000000', { status: 'held' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      updateTransaction(t.db, tx.id, { status: 'bogus' as 'held' }),
    ).rejects.toMatchObject({
      code: 'check_violation',
    });

    const attempt = await startAttempt(t.db, { transactionId: tx.id, number: 1 });
    await finishAttempt(t.db, attempt.id, {
      outcome: 'temp_failure',
      upstreamHost: 'mx.example.org',
      mailResponse: { code: 250, message: 'ok' },
      rcptResponse: [{ code: 451, message: 'later' }],
      dataResponse: null,
      error: null,
    });
    const [stored] = await listAttempts(t.db, tx.id);
    expect(stored).toMatchObject({
      number: 1,
      outcome: 'temp_failure',
      upstreamHost: 'mx.example.org',
    });
    expect(stored!.finishedAt).toBeInstanceOf(Date);

    const e1 = await appendEvent(t.db, { transactionId: tx.id, type: 'created' });
    expect(e1).toMatchObject({ transactionId: tx.id, attemptId: null, type: 'created', data: {} });
    expect(e1.at).toBeInstanceOf(Date);
    await appendEvents(t.db, [
      { transactionId: tx.id, type: 'attempt_started', attemptId: attempt.id },
      { transactionId: tx.id, type: 'rcpt_response', data: { code: 451 } },
    ]);
    expect((await listEvents(t.db, tx.id)).map((e) => e.type)).toEqual([
      'created',
      'attempt_started',
      'rcpt_response',
    ]);
    expect((await listEvents(t.db, tx.id, e1.id)).length).toBe(2);
  });

  it('journal events recorded in the same tick share a statement; only the one at fault fails', async () => {
    const s = await sender();
    const tx = await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'a@example.com' },
      rcptTo: [{ m: 'b@example.com' }],
    });
    const attempt = await startAttempt(t.db, { transactionId: tx.id, number: 1 });
    const record = (transactionId: string, type: string) =>
      recordJournalEvent(t.db, { transactionId, attemptId: attempt.id, type, data: { type } });
    const query = t.pool.query;
    let statements = 0;
    t.pool.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(t.pool, args);
    }) as typeof query;
    try {
      await Promise.all([record(tx.id, 'upstream_created'), record(tx.id, 'upstream_done')]);
    } finally {
      t.pool.query = query;
    }
    expect(statements).toBe(1);
    const [a, missing] = await Promise.allSettled([
      record(tx.id, 'upstream_accepted'),
      record('00000000-0000-4000-8000-000000000000', 'upstream_created'),
    ]);
    expect([a.status, missing.status]).toEqual(['fulfilled', 'rejected']);
    const events = await listEvents(t.db, tx.id);
    expect(events.map((e) => [e.type, e.attemptId, e.data])).toEqual([
      ['upstream_created', attempt.id, { type: 'upstream_created' }],
      ['upstream_done', attempt.id, { type: 'upstream_done' }],
      ['upstream_accepted', attempt.id, { type: 'upstream_accepted' }],
    ]);
  });

  it('rejects a duplicate idempotency key per sender only', async () => {
    const [a, b] = [await sender(), await sender()];
    const base = { mailFrom: { m: 'a@example.com' }, rcptTo: [{ m: 'b@example.com' }] };
    const first = await insertTransaction(t.db, { ...base, senderId: a.id, idempotencyKey: 'k1' });
    await expect(
      insertTransaction(t.db, { ...base, senderId: a.id, idempotencyKey: 'k1' }),
    ).rejects.toMatchObject({
      code: 'unique_violation',
      constraint: 'transactions_sender_idempotency_key',
    });
    await insertTransaction(t.db, { ...base, senderId: b.id, idempotencyKey: 'k1' });
    expect((await findByIdempotencyKey(t.db, a.id, 'k1'))?.id).toBe(first.id);
  });

  it('searches newest first with keyset pagination, by sender, status and addresses', async () => {
    const s = await sender();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const tx = await insertTransaction(t.db, {
        senderId: s.id,
        mailFrom: { m: i === 5 ? 'Bounce@Example.com' : 'a@example.com' },
        rcptTo: [{ m: `R${i % 2}@example.net` }],
        status: i === 3 ? 'held' : 'queued',
      });
      ids.push(tx.id);
    }
    const search = async (f: Omit<TransactionSearch, 'limit' | 'senderId'>, limit = 50) =>
      (await searchTransactions(t.db, { senderId: s.id, limit, ...f })).map((r) => r.id);
    const page1 = await searchTransactions(t.db, { senderId: s.id, limit: 4 });
    const last = page1[page1.length - 1]!;
    const page2 = await search({ after: { createdAt: last.keysetTime, id: last.id } });
    expect([...page1.map((r) => r.id), ...page2].sort()).toEqual([...ids].sort());
    expect(page2.length).toBe(3);
    expect(await search({ statuses: ['held'] })).toEqual([ids[3]]);
    expect((await search({ rcptPrefix: 'r1@' })).sort()).toEqual([ids[1], ids[3], ids[5]].sort());
    expect(await search({ mailFromPrefix: 'bounce@', rcptDomain: 'example.net' })).toEqual([
      ids[5],
    ]);
    // A recipient added later (PATCH add_rcpt_to) is found too.
    const tx = (await getTransaction(t.db, ids[0]!))!;
    await updateTransaction(t.db, tx.id, { rcptTo: [...tx.rcptTo, { m: 'Late@Added.example' }] });
    expect(await search({ rcptPrefix: 'late@' })).toEqual([ids[0]]);
    expect(await search({ rcptDomain: 'added.example', rcptPrefix: 'r0@' })).toEqual([ids[0]]);
  });
});

describe('instances, audit log, meta', () => {
  it('registers, heartbeats and deregisters a replica', async () => {
    const inst = await registerInstance(t.db, { kind: 'router', version: 'test' });
    expect(await heartbeatInstance(t.db, inst.id)).toBe(true);
    expect((await listLiveInstances(t.db, 60_000, 'router')).map((i) => i.id)).toContain(inst.id);
    await markInstanceStopping(t.db, inst.id);
    expect((await listLiveInstances(t.db, 60_000, 'router')).map((i) => i.id)).not.toContain(
      inst.id,
    );
    await deregisterInstance(t.db, inst.id);
    expect(await heartbeatInstance(t.db, inst.id)).toBe(false);
  });

  it('records and lists audit entries newest first', async () => {
    const a = await recordAudit(t.db, { actor: 'test', action: 'x.one', entityType: 'x' });
    const b = await recordAudit(t.db, {
      actor: 'test',
      action: 'x.two',
      entityType: 'x',
      details: { n: 2 },
    });
    const list = await listAudit(t.db, { limit: 2 });
    expect(list.map((e) => e.id)).toEqual([b.id, a.id]);
    expect((await listAudit(t.db, { beforeId: b.id, limit: 1 }))[0]!.id).toBe(a.id);
  });

  it('sets a meta key once', async () => {
    const key = uniqueName('meta');
    expect(await setMetaOnce(t.db, key, { at: 1 })).toBe(true);
    expect(await setMetaOnce(t.db, key, { at: 2 })).toBe(false);
    expect(await getMeta(t.db, key)).toEqual({ at: 1 });
    await setMeta(t.db, key, { at: 3 });
    expect(await getMeta(t.db, key)).toEqual({ at: 3 });
  });
});
