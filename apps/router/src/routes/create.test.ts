import { schema } from '@koukan/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { expect400, expectField, MESSAGE, routerSuite } from '../testing/harness.ts';

const created: string[] = [];
const { t, sender } = routerSuite({
  maxBodyBytes: 64 * 1024,
  onTransactionCreated: (id) => created.push(id),
});

const base = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

describe('POST /v1/senders/{sender}/transactions', () => {
  it('creates with an inline body: 201, Location, ETag, due at once, hook called', async () => {
    const s = await sender();
    const res = await s.create({ ...base, body: { inline: MESSAGE } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/transactions/${res.json.id}`);
    expect(res.headers.get('etag')).toBe(`"${res.json.version}"`);
    expect(res.json).toMatchObject({
      sender: s.name,
      status: 'queued',
      mail_from: { m: 'a@example.org' },
      rcpt_to: [{ m: 'b@example.org' }],
      body: { type: 'rfc822', status: 'finalized', rfc822: { size: MESSAGE.length } },
      attempt_count: 0,
      mail_response: null,
      rcpt_response: [],
      data_response: null,
      final_attempt_reason: null,
    });
    expect(res.json.next_attempt_at).not.toBeNull();
    expect(created).toContain(res.json.id);
    const events = await s.api('GET', `/v1/transactions/${res.json.id}/events`);
    expect(events.json.events.map((e: { type: string }) => e.type)).toEqual(['created']);
  });

  it('without a body: waits for the upload (next_attempt_at null)', async () => {
    const s = await sender();
    const res = await s.create(base);
    expect(res.status).toBe(201);
    expect(res.json.body).toMatchObject({ type: 'rfc822', status: 'awaiting_upload' });
    expect(res.json.next_attempt_at).toBeNull();
  });

  it('accepts the null reverse path, ESMTP parameters and internationalised addresses', async () => {
    const s = await sender();
    const res = await s.create({
      mail_from: { m: '', e: [{ k: 'SMTPUTF8' }, { k: 'BODY', p: '8BITMIME' }] },
      rcpt_to: [{ m: 'δοκιμή@παράδειγμα.δοκιμή', e: [{ k: 'NOTIFY', p: 'FAILURE,DELAY' }] }],
      body: { inline: MESSAGE },
    });
    expect(res.status).toBe(201);
    expect(res.json.mail_from.m).toBe('');
  });

  it.each([
    [
      'header injection in rcpt',
      { ...base, rcpt_to: [{ m: 'b@example.org\r\nBcc: x@evil.test' }] },
      'body.rcpt_to[0].m',
    ],
    ['a display name', { ...base, rcpt_to: [{ m: 'Bob <b@example.org>' }] }, 'body.rcpt_to[0].m'],
    ['a list', { ...base, rcpt_to: [{ m: 'b@example.org,c@example.org' }] }, 'body.rcpt_to[0].m'],
    ['NUL', { ...base, mail_from: { m: 'a\u0000@example.org' } }, 'body.mail_from.m'],
    ['an empty recipient', { ...base, rcpt_to: [{ m: '' }] }, 'body.rcpt_to[0].m'],
    [
      'an ESMTP value with CRLF',
      { ...base, rcpt_to: [{ m: 'b@example.org', e: [{ k: 'ORCPT', p: 'x\r\nDATA' }] }] },
      'body.rcpt_to[0].e[0].p',
    ],
    ['an unknown field', { ...base, cc: ['x@example.org'] }, 'body.cc'],
    [
      'an unknown field in a mailbox',
      { ...base, mail_from: { m: 'a@example.org', name: 'A' } },
      'body.mail_from.name',
    ],
    ['a wrong type', { ...base, rcpt_to: 'b@example.org' }, 'body.rcpt_to'],
    ['a missing mail_from', { rcpt_to: base.rcpt_to }, 'body.mail_from'],
    [
      'two body kinds',
      { ...base, body: { inline: 'x', reuse_uri: '/v1/transactions/x/body' } },
      'body.body',
    ],
  ])('400 for %s, naming the field', async (_name, json, field) => {
    const s = await sender();
    expect400(await s.create(json), field);
  });

  it('400 for malformed JSON and an empty body; 415 for a non-JSON content type', async () => {
    const s = await sender();
    const path = `/v1/senders/${s.name}/transactions`;
    const bad = await s.api('POST', path, {
      body: '{"mail_from": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'bad_request', details: [{ field: 'body' }] });
    const empty = await s.api('POST', path, {
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    expect(empty.json.error.code).toBe('bad_request');
    const text = await s.api('POST', path, {
      body: 'hello',
      headers: { 'content-type': 'text/csv' },
    });
    expect(text.status).toBe(415);
    expect(text.json.error.code).toBe('unsupported_media_type');
  });

  it('413 for an inline body over the limit', async () => {
    const s = await sender();
    const res = await s.create({ ...base, body: { inline: 'x'.repeat(64 * 1024 + 1) } });
    expectField(res, 413, 'body.inline');
  });

  it('one recipient unless the chain has the exploder', async () => {
    const two = { ...base, rcpt_to: [{ m: 'b@example.org' }, { m: 'c@example.org' }] };
    const plain = await sender();
    const res = await plain.create(two);
    expectField(res, 422, 'body.rcpt_to');
    const exploder = await sender({ exploder: true });
    expect((await exploder.create(two)).status).toBe(201);
  });

  it('reuse_uri shares the finalized body of an earlier transaction of the same sender', async () => {
    const s = await sender();
    const first = await s.create({ ...base, body: { inline: MESSAGE } });
    const uri = first.json.body.rfc822.uri;
    const second = await s.create({ ...base, body: { reuse_uri: uri } });
    expect(second.status).toBe(201);
    expect(second.json.body.status).toBe('finalized');
    const abs = await s.create({ ...base, body: { reuse_uri: `http://router.example${uri}` } });
    expect(abs.status).toBe(201);
    const [row] = await t.db
      .select()
      .from(schema.transactions)
      .where(eq(schema.transactions.id, second.json.id));
    const [blob] = await t.db
      .select()
      .from(schema.blobs)
      .where(eq(schema.blobs.id, row!.bodyBlobId!));
    expect(blob!.refCount).toBe(3);
    // Another sender cannot reuse it; nor can anyone reuse an unfinished upload.
    const other = await sender();
    const denied = await other.create({ ...base, body: { reuse_uri: uri } });
    expectField(denied, 422, 'body.reuse_uri');
    const pending = await s.create(base);
    const unfinished = await s.create({
      ...base,
      body: { reuse_uri: pending.json.body.rfc822.uri },
    });
    expect(unfinished.status).toBe(422);
    const nonsense = await s.create({ ...base, body: { reuse_uri: 'ftp://x/y' } });
    expect(nonsense.status).toBe(422);
  });

  describe('Idempotency-Key', () => {
    it('returns the original for a repeat, 422 for a different payload', async () => {
      const s = await sender();
      const json = { ...base, body: { inline: MESSAGE } };
      const first = await s.create(json, { 'idempotency-key': 'k-1' });
      expect(first.status).toBe(201);
      const again = await s.create(json, { 'idempotency-key': 'k-1' });
      expect(again.status).toBe(201);
      expect(again.json.id).toBe(first.json.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const changed = await s.create(
        { ...json, rcpt_to: [{ m: 'c@example.org' }] },
        {
          'idempotency-key': 'k-1',
        },
      );
      expectField(changed, 422, 'headers.idempotency-key');
      // Another sender's identical key is unrelated.
      const other = await sender();
      const theirs = await other.create(json, { 'idempotency-key': 'k-1' });
      expect(theirs.status).toBe(201);
      expect(theirs.json.id).not.toBe(first.json.id);
    });

    it('concurrent duplicates create exactly one transaction', async () => {
      const s = await sender();
      const json = { ...base, body: { inline: MESSAGE } };
      const results = await Promise.all(
        Array.from({ length: 8 }, () => s.create(json, { 'idempotency-key': 'race' })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
      const rows = await t.db
        .select()
        .from(schema.transactions)
        .where(eq(schema.transactions.senderId, s.id));
      expect(rows).toHaveLength(1);
    });

    it('a key older than 24 hours creates a new transaction', async () => {
      const s = await sender();
      const json = { ...base, body: { inline: MESSAGE } };
      const first = await s.create(json, { 'idempotency-key': 'old' });
      await t.db
        .update(schema.transactions)
        .set({ createdAt: new Date(Date.now() - 25 * 3600 * 1000) })
        .where(eq(schema.transactions.id, first.json.id));
      const second = await s.create(json, { 'idempotency-key': 'old' });
      expect(second.status).toBe(201);
      expect(second.json.id).not.toBe(first.json.id);
      expect(second.headers.get('idempotent-replayed')).toBeNull();
    });
  });
});
