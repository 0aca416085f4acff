import { appendEvents, finishAttempt, startAttempt, upsertChain } from '@koukan/db';
import { ensureChain } from '@koukan/db/testing';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { runTransactionAction } from './actions.ts';
import { getTransactionDetail, getTransactionStamp } from './detail.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');

/** A transaction of a new sender whose chain (`chain`) is one rest_output filter. */
async function onChain(row: Parameters<typeof makeTransaction>[2] = {}) {
  const filters = [{ filter: 'rest_output', url: 'http://127.0.0.1:1/' }];
  const chain = await ensureChain(t.db, undefined, filters);
  const s = await makeSender(t.db, { output_chain: chain });
  return { chain, s, tx: await makeTransaction(t.db, s.id, row) };
}

describe('getTransactionDetail', () => {
  it('shows the envelope, chain, every attempt with its replies verbatim, and the timeline in order', async () => {
    const { chain, s, tx } = await onChain({ rcptTo: [{ m: 'Bob@Example.NET' }] });
    const a1 = await startAttempt(t.db, { transactionId: tx.id, number: 1 });
    await finishAttempt(t.db, a1.id, {
      outcome: 'temp_failure',
      upstreamHost: 'mx1.example.net',
      mailResponse: { code: 250, message: '2.1.0 Ok' },
      rcptResponse: [
        { code: 451, enhanced: '4.7.1', message: 'Greylisted, try again in 5 minutes' },
      ],
      dataResponse: null,
      error: null,
    });
    await appendEvents(t.db, [
      {
        transactionId: tx.id,
        attemptId: a1.id,
        type: 'starttls',
        data: { tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } },
      },
      {
        transactionId: tx.id,
        attemptId: a1.id,
        type: 'retry_scheduled',
        data: { delay_ms: 300000 },
      },
    ]);
    const a2 = await startAttempt(t.db, { transactionId: tx.id, number: 2 });
    await finishAttempt(t.db, a2.id, {
      outcome: 'success',
      upstreamHost: 'mx2.example.net',
      mailResponse: { code: 250, message: '2.1.0 Ok' },
      rcptResponse: [{ code: 250, message: '2.1.5 Ok' }],
      // as written before migration 0019 and not split by it: read as it is
      dataResponse: { code: 250, message: '2.0.0 Ok: queued as 4F2A' },
      error: null,
    });

    const d = await getTransactionDetail({ ctx, input: { id: tx.id } });
    expect(d.transaction).toMatchObject({
      id: tx.id,
      sender: s.name,
      mail_from: 'alice@example.com',
      recipients: ['Bob@Example.NET'],
      status: 'queued',
      body: { kind: 'rfc822', status: 'finalized' },
    });
    expect(d.sender.output_chain).toBe(chain);
    expect(d.chain).toMatchObject({ name: chain, version: 1, revision_source: 'current' });
    expect(d.chain.filters[0]).toMatchObject({ filter: 'rest_output' });
    expect(d.attempts.map((a) => [a.number, a.outcome, a.upstream_host])).toEqual([
      [1, 'temp_failure', 'mx1.example.net'],
      [2, 'success', 'mx2.example.net'],
    ]);
    expect(d.attempts[0]!.rcpt_replies[0]).toEqual({
      code: 451,
      enhanced: '4.7.1',
      text: 'Greylisted, try again in 5 minutes',
      verbatim: '451 4.7.1 Greylisted, try again in 5 minutes',
    });
    expect(d.attempts[0]!.tls).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
    expect(d.attempts[1]!.tls).toBeNull();
    expect(d.attempts[1]!.data_reply).toEqual({
      code: 250,
      enhanced: null,
      text: '2.0.0 Ok: queued as 4F2A',
      verbatim: '250 2.0.0 Ok: queued as 4F2A',
    });
    expect(d.attempts[1]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(d.events.map((e) => e.type)).toEqual(['starttls', 'retry_scheduled']);
    expect(d.events[0]!.since_previous_ms).toBeNull();
    expect(d.events[1]!.since_previous_ms).toBeGreaterThanOrEqual(0);
    expect(d.parent).toBeNull();
    expect(d.children).toEqual([]);
  });

  it('shows the chain at the revision that ran, not the one saved since', async () => {
    const { chain, tx } = await onChain();
    const a1 = await startAttempt(t.db, { transactionId: tx.id, number: 1 });
    // As the engine's chain runner records it (attempts.chain_name / chain_version).
    await t.pool.query('update attempts set chain_name = $1, chain_version = 1 where id = $2', [
      chain,
      a1.id,
    ]);
    await upsertChain(t.db, {
      name: chain,
      filters: [{ filter: 'rest_output', url: 'http://127.0.0.1:2/' }],
      author: 'test',
    });
    const d = await getTransactionDetail({ ctx, input: { id: tx.id } });
    expect(d.chain).toMatchObject({ name: chain, version: 1, revision_source: 'recorded' });
    expect(d.chain.filters[0]).toMatchObject({ url: 'http://127.0.0.1:1/' });
  });

  it('says when the sender has no chain', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const d = await getTransactionDetail({ ctx, input: { id: tx.id } });
    expect(d.chain).toEqual({ name: null, version: null, filters: [], revision_source: 'missing' });
  });

  it('links an exploder parent with its children, and a failure with its DSN', async () => {
    const s = await makeSender(t.db);
    const parent = await makeTransaction(t.db, s.id, {
      rcptTo: [{ m: 'a@example.net' }, { m: 'b@example.net' }],
      status: 'delivered',
    });
    const kids = [];
    for (const [i, m] of ['a@example.net', 'b@example.net'].entries()) {
      kids.push(
        await makeTransaction(t.db, s.id, {
          rcptTo: [{ m }],
          parentId: parent.id,
          metadata: { exploded_from: parent.id, rcpt_index: i },
        }),
      );
    }
    const dsn = await makeTransaction(t.db, s.id, {
      mailFrom: { m: '' },
      rcptTo: [{ m: 'alice@example.com' }],
      parentId: kids[1]!.id,
      metadata: { dsn_for: kids[1]!.id },
    });
    const p = await getTransactionDetail({ ctx, input: { id: parent.id } });
    expect(p.children.map((c) => c.id)).toEqual(kids.map((k) => k.id));
    expect(p.children_total).toBe(2);
    expect(p.children[1]!.recipients).toEqual(['b@example.net']);
    const child = await getTransactionDetail({ ctx, input: { id: kids[1]!.id } });
    expect(child.parent?.id).toBe(parent.id);
    expect(child.dsns.map((x) => x.id)).toEqual([dsn.id]);
    expect(child.children).toEqual([]);
    const report = await getTransactionDetail({ ctx, input: { id: dsn.id } });
    expect(report.dsn_of?.id).toBe(kids[1]!.id);
    expect(report.parent).toBeNull();
  });

  it('404 for an unknown id, 400 for a malformed one', async () => {
    await expect(
      getTransactionDetail({ ctx, input: { id: '00000000-0000-4000-8000-000000000000' } }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(getTransactionDetail({ ctx, input: { id: 'nope' } })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ field: 'id' }],
    });
  });

  it('the stamp moves when an action changes the transaction', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const before = await getTransactionStamp({ ctx, input: { id: tx.id } });
    await runTransactionAction({ ctx, input: { id: tx.id, action: 'hold' } });
    const after = await getTransactionStamp({ ctx, input: { id: tx.id } });
    expect(after.version).toBe(before.version + 1);
    expect(after.status).toBe('held');
    expect(after.last_event_id).toBeGreaterThan(before.last_event_id);
  });
});
