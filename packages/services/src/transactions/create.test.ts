import { createApiKey, getBlob, getTransaction, readBlob, schema } from '@koukan/db';
import { ensureChain } from '@koukan/db/testing';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { authenticate, operatorPrincipal, requireSender } from '../auth/authenticate.ts';
import { AppError } from '../errors.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender } from '../testing/fixtures.ts';
import { cancelTransaction } from './cancel.ts';
import { createTransaction } from './create.ts';
import { getTransactionView } from './get.ts';
import { uploadBody } from './upload-body.ts';

const { t, ctx } = useTestDatabase('test');

async function newSender(exploder = false) {
  const filters = [{ filter: exploder ? 'exploder' : 'rest_output' }];
  const sender = await makeSender(t.db, {
    output_chain: await ensureChain(t.db, undefined, filters),
  });
  const { key } = await createApiKey(t.db, { senderId: sender.id });
  const principal = await authenticate({ ctx, input: { authorization: `Bearer ${key}` } });
  return { sender: requireSender(principal, sender.name), principal };
}

const request = {
  mail_from: { m: 'a@example.org' },
  rcpt_to: [{ m: 'b@example.org' }],
  body: { inline: 'Subject: x\r\n\r\nhi\r\n' },
};

async function* bytes(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

describe('services: transactions', () => {
  it('authenticate: 401 for no, malformed or unknown keys', async () => {
    for (const authorization of [undefined, 'Token x', `Bearer kk_AAAAAAAAAA_${'y'.repeat(43)}`]) {
      await expect(authenticate({ ctx, input: { authorization } })).rejects.toMatchObject({
        code: 'unauthorized',
      });
    }
  });

  it('createTransaction validates at the boundary with field paths', async () => {
    const { sender } = await newSender();
    const err = await createTransaction({
      ctx,
      input: { sender, request: { ...request, rcpt_to: [{ m: 'x@y.org\r\nBcc: z@evil.test' }] } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details[0]!.field).toBe('body.rcpt_to[0].m');
  });

  it('concurrent idempotent creates make one transaction and one body blob', async () => {
    const { sender } = await newSender();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        createTransaction({ ctx, input: { sender, request, idempotencyKey: 'same' } }),
      ),
    );
    expect(new Set(results.map((r) => r.transaction.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const blobs = await t.db
      .select()
      .from(schema.blobs)
      .where(eq(schema.blobs.senderId, sender.id));
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.refCount).toBe(1);
  });

  it('a pending body becomes due when its upload completes; cancel then closes uploads', async () => {
    const { sender, principal } = await newSender();
    const { transaction } = await createTransaction({
      ctx,
      input: { sender, request: { ...request, body: undefined } },
    });
    expect(transaction.next_attempt_at).toBeNull();
    const half = await uploadBody({
      ctx,
      input: {
        principal,
        id: transaction.id,
        range: { kind: 'bytes', start: 0, end: 2, total: 6 },
        contentLength: 3,
        source: bytes('abc'),
      },
    });
    expect(half).toMatchObject({ size: 3, finalized: false, bodyComplete: false });
    const done = await uploadBody({
      ctx,
      input: {
        principal,
        id: transaction.id,
        range: { kind: 'bytes', start: 3, end: 5, total: 6 },
        contentLength: 3,
        source: bytes('d', 'ef'),
      },
    });
    expect(done).toMatchObject({ size: 6, finalized: true, bodyComplete: true });
    expect(done.transaction.next_attempt_at).not.toBeNull();
    const view = await getTransactionView({ ctx, input: { principal, id: transaction.id } });
    expect(view.body.rfc822).toMatchObject({ status: 'finalized', size: 6 });
    const other = await newSender();
    await expect(
      getTransactionView({ ctx, input: { principal: other.principal, id: transaction.id } }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const operator = operatorPrincipal('user:ops@example.org');
    const seen = await getTransactionView({
      ctx,
      input: { principal: operator, id: transaction.id },
    });
    expect(seen.sender).toBe(sender.name);
    const cancelled = await cancelTransaction({
      ctx,
      input: { principal: operator, id: transaction.id },
    });
    expect(cancelled.status).toBe('cancelled');
    const blob = await getBlob(t.db, (await getTransaction(t.db, transaction.id))!.bodyBlobId!);
    expect(blob!.refCount).toBe(1);
  });

  it('stores an inline body larger than one chunk through the chunked path, byte for byte', async () => {
    const { sender, principal } = await newSender();
    const body = `Subject: big\r\n\r\n${'ü'.repeat(200_000)}\r\n`; // ~400 KB: two chunks
    const { transaction, claimed } = await createTransaction({
      ctx,
      input: { sender, request: { ...request, body: { inline: body } }, lease: undefined },
    });
    expect(claimed).toBeUndefined();
    expect(transaction.status).toBe('queued');
    expect(transaction.next_attempt_at).not.toBeNull();
    expect(transaction.body.rfc822).toMatchObject({
      status: 'finalized',
      size: Buffer.byteLength(body),
    });
    const view = await getTransactionView({ ctx, input: { principal, id: transaction.id } });
    const row = (await getTransaction(t.db, view.id))!;
    expect((await readBlob(t.db, row.bodyBlobId!)).equals(Buffer.from(body))).toBe(true);
  });
});
