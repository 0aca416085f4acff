import { describe, expect, it } from 'vitest';
import { deliveredOutcome, uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { writeOutcomeIfUnchanged } from './attempt-outcome.ts';
import { listAttempts } from './attempts.ts';
import { insertTransactionWithInlineBody } from './create-transaction.ts';
import { claimTransactions } from './delivery.ts';
import { listEvents } from './events.ts';
import { registerInstance } from './instances.ts';
import { createSender } from './senders.ts';
import { getTransaction, updateTransaction } from './transactions.ts';

const t = useTestDatabase();

/** A transaction claimed by a fresh instance, and the outcome write for its attempt. */
async function claimedOne() {
  const sender = await createSender(t.db, { name: uniqueName() });
  const { transaction } = await insertTransactionWithInlineBody(t.db, {
    transaction: {
      senderId: sender.id,
      status: 'queued',
      mailFrom: { m: 'a@example.org' },
      rcptTo: [{ m: 'b@example.org' }],
      nextAttemptAt: new Date(Date.now() - 1000),
    },
    body: Buffer.from('Subject: x\r\n\r\nx\r\n'),
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
  });
  const owner = (await registerInstance(t.db, { kind: 'router', version: '' })).id;
  const [claimed] = await claimTransactions(t.db, {
    owner,
    leaseMs: 30_000,
    limit: 1,
    id: transaction.id,
  });
  const write = deliveredOutcome({
    transactionId: transaction.id,
    attemptId: claimed!.attempt.id,
    owner,
    version: claimed!.transaction.version,
    upstreamHost: 'mx.example',
    finishedAt: new Date('2026-01-02T00:00:00Z'),
    eventData: { n: 1 },
  });
  return { claimed: claimed!, write };
}

describe('writeOutcomeIfUnchanged', () => {
  it('writes the row, the attempt and the events together when the row is as claimed', async () => {
    const { claimed, write } = await claimedOne();
    const row = await writeOutcomeIfUnchanged(t.db, write);
    expect(row).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      finalAttemptReason: 'upstream_success',
      finishedAt: new Date('2026-01-02T00:00:00Z'),
      rcptResponse: [{ code: 250, message: '2.0.0 ok' }],
      leaseOwner: null,
      version: claimed.transaction.version + 1,
    });
    expect(row).toEqual(await getTransaction(t.db, write.transactionId));
    const [attempt] = await listAttempts(t.db, write.transactionId);
    expect(attempt).toMatchObject({
      outcome: 'success',
      upstreamHost: 'mx.example',
      rcptResponse: [{ code: 250, message: '2.0.0 ok' }],
      error: null,
    });
    expect(attempt!.finishedAt).toBeInstanceOf(Date);
    const events = await listEvents(t.db, write.transactionId);
    expect(events.at(-1)).toMatchObject({
      type: 'final',
      data: { n: 1 },
      attemptId: write.attemptId,
    });
  });

  it('writes nothing when the row moved since the claim (e.g. a cancel request)', async () => {
    const { write } = await claimedOne();
    await updateTransaction(t.db, write.transactionId, { cancelRequestedAt: new Date() });
    expect(await writeOutcomeIfUnchanged(t.db, write)).toBeUndefined();
    const [attempt] = await listAttempts(t.db, write.transactionId);
    expect(attempt!.finishedAt).toBeNull();
    expect((await getTransaction(t.db, write.transactionId))!.status).toBe('inflight');
    expect((await listEvents(t.db, write.transactionId)).map((e) => e.type)).not.toContain('final');
  });

  it('writes nothing once another instance took the lease over', async () => {
    const { write } = await claimedOne();
    await t.pool.query(
      `update transactions set lease_expires_at = now() - interval '1 second' where id = $1`,
      [write.transactionId],
    );
    const other = (await registerInstance(t.db, { kind: 'router', version: '' })).id;
    const [taken] = await claimTransactions(t.db, {
      owner: other,
      leaseMs: 30_000,
      limit: 1,
      id: write.transactionId,
    });
    expect(taken?.abandoned?.id).toBe(write.attemptId);
    expect(await writeOutcomeIfUnchanged(t.db, write)).toBeUndefined();
    const attempts = await listAttempts(t.db, write.transactionId);
    expect(attempts.map((a) => a.outcome)).toEqual(['abandoned', null]);
  });

  it('writes outcomes of the same tick together, each under its own guard', async () => {
    const one = await claimedOne();
    const two = await claimedOne();
    const three = await claimedOne();
    await updateTransaction(t.db, two.write.transactionId, { cancelRequestedAt: new Date() });
    const temp = {
      ...three.write,
      state: {
        ...three.write.state,
        status: 'queued' as const,
        mailResponse: null,
        finalAttemptReason: null,
        finishedAt: null,
      },
    };
    const [a, b, c] = await Promise.all([
      writeOutcomeIfUnchanged(t.db, one.write),
      writeOutcomeIfUnchanged(t.db, two.write),
      writeOutcomeIfUnchanged(t.db, temp),
    ]);
    expect(a?.status).toBe('delivered');
    expect(b).toBeUndefined();
    expect(c).toMatchObject({ status: 'queued', mailResponse: null, finishedAt: null });
    const raw = await t.pool.query(
      'select mail_response is null as n from transactions where id = $1',
      [temp.transactionId],
    );
    expect(raw.rows[0].n).toBe(true); // SQL NULL, not a JSON null
    expect((await listEvents(t.db, one.write.transactionId)).at(-1)?.type).toBe('final');
    expect((await listEvents(t.db, two.write.transactionId)).map((e) => e.type)).not.toContain(
      'final',
    );
    expect((await listAttempts(t.db, two.write.transactionId))[0]!.finishedAt).toBeNull();
    expect((await listAttempts(t.db, temp.transactionId))[0]!.outcome).toBe('success');
  });
});
