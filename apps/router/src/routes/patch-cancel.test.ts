import { schema } from '@koukan/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { expectField, MESSAGE, routerSuite } from '../testing/harness.ts';

const { t, sender } = routerSuite();

async function create(json: Record<string, unknown>, options: { exploder?: boolean } = {}) {
  const { api, create } = await sender(options);
  const res = await create({ mail_from: { m: 'a@example.org' }, ...json });
  expect(res.status).toBe(201);
  return { api, id: res.json.id as string, etag: res.headers.get('etag')!, view: res.json };
}

const setStatus = (id: string, status: schema.TransactionStatus) =>
  t.db.update(schema.transactions).set({ status }).where(eq(schema.transactions.id, id));

describe('PATCH /v1/transactions/{id}', () => {
  it('adds recipients with If-Match; the transaction becomes due once it has one and a body', async () => {
    const { api, id, etag, view } = await create(
      { rcpt_to: [], body: { inline: MESSAGE } },
      { exploder: true },
    );
    expect(view.next_attempt_at).toBeNull();
    const rcpt = [{ m: 'b@example.org' }, { m: 'c@example.org', e: [{ k: 'NOTIFY', p: 'NEVER' }] }];
    const res = await api.patch(id, { add_rcpt_to: rcpt }, etag);
    expect(res.status).toBe(200);
    expect(res.json.rcpt_to.map((r: { m: string }) => r.m)).toEqual([
      'b@example.org',
      'c@example.org',
    ]);
    expect(res.json.next_attempt_at).not.toBeNull();
    expect(res.headers.get('etag')).toBe(`"${res.json.version}"`);
    expect(res.headers.get('etag')).not.toBe(etag);
    const events = await api('GET', `/v1/transactions/${id}/events`);
    expect(events.json.events.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'rcpt_added',
    ]);
  });

  it('428 without If-Match, 412 with a stale one, 400 with a malformed one', async () => {
    const { api, id, etag } = await create({ rcpt_to: [] }, { exploder: true });
    const none = await api('PATCH', `/v1/transactions/${id}`, { json: { heartbeat: true } });
    expectField(none, 428, 'headers.if-match');
    const ok = await api.patch(id, { heartbeat: true }, etag);
    expect(ok.status).toBe(200);
    const stale = await api.patch(id, { heartbeat: true }, etag);
    expect(stale.status).toBe(412);
    expect(stale.json.error).toMatchObject({
      code: 'precondition_failed',
      version: ok.json.version,
    });
    expect(stale.headers.get('etag')).toBe(`"${ok.json.version}"`);
    const junk = await api.patch(id, { heartbeat: true }, 'abc');
    expect(junk.status).toBe(400);
  });

  it('validates recipients, unknown fields, and the one-recipient rule', async () => {
    const plain = await create({ rcpt_to: [{ m: 'b@example.org' }] });
    const patch = (json: unknown) => plain.api.patch(plain.id, json, plain.etag);
    const inj = await patch({ add_rcpt_to: [{ m: 'x@example.org\nBcc: y@evil.test' }] });
    expectField(inj, 400, 'body.add_rcpt_to[0].m');
    const unknown = await patch({ status: 'delivered' });
    expectField(unknown, 400, 'body.status');
    const second = await patch({ add_rcpt_to: [{ m: 'c@example.org' }] });
    expectField(second, 422, 'body.add_rcpt_to');
  });

  it('409 adding recipients to a finished transaction', async () => {
    const { api, id } = await create({ rcpt_to: [] }, { exploder: true });
    await setStatus(id, 'delivered');
    const current = await api('GET', `/v1/transactions/${id}`);
    const res = await api.patch(
      id,
      { add_rcpt_to: [{ m: 'b@example.org' }] },
      current.headers.get('etag')!,
    );
    expect(res.status).toBe(409);
  });
});

describe('POST /v1/transactions/{id}/cancel', () => {
  it('cancels a queued transaction at once, idempotently', async () => {
    const { api, id } = await create({ rcpt_to: [{ m: 'b@example.org' }] });
    const res = await api('POST', `/v1/transactions/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      status: 'cancelled',
      final_attempt_reason: 'cancelled',
      next_attempt_at: null,
    });
    expect(res.json.finished_at).not.toBeNull();
    const again = await api('POST', `/v1/transactions/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.json.version).toBe(res.json.version);
    const upload = await api('PUT', `/v1/transactions/${id}/body`, { body: MESSAGE });
    expect(upload.status).toBe(409);
    const events = await api('GET', `/v1/transactions/${id}/events`);
    expect(events.json.events.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'cancelled',
    ]);
  });

  it('only requests cancellation of an inflight transaction', async () => {
    const { api, id } = await create({ rcpt_to: [{ m: 'b@example.org' }] });
    await setStatus(id, 'inflight');
    const res = await api('POST', `/v1/transactions/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('inflight');
    expect(res.json.cancel_requested_at).not.toBeNull();
    expect(res.json.finished_at).toBeNull();
  });

  it('409 for a delivered or failed transaction', async () => {
    for (const status of ['delivered', 'failed'] as const) {
      const { api, id } = await create({ rcpt_to: [{ m: 'b@example.org' }] });
      await setStatus(id, status);
      const res = await api('POST', `/v1/transactions/${id}/cancel`);
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
    }
  });
});

describe('GET /v1/transactions/{id}/events', () => {
  it('pages the timeline and validates the query', async () => {
    const { api, id, etag } = await create({ rcpt_to: [] }, { exploder: true });
    let tag = etag;
    for (let i = 0; i < 3; i++) {
      const r = await api.patch(id, { add_rcpt_to: [{ m: `r${i}@example.org` }] }, tag);
      tag = r.headers.get('etag')!;
    }
    const page1 = await api('GET', `/v1/transactions/${id}/events?limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.json.events).toHaveLength(2);
    expect(page1.json.next_after).not.toBeNull();
    const page2 = await api(
      'GET',
      `/v1/transactions/${id}/events?limit=2&after=${page1.json.next_after}`,
    );
    expect(page2.json.events).toHaveLength(2);
    const bad = await api('GET', `/v1/transactions/${id}/events?limit=0`);
    expectField(bad, 400, 'query.limit');
    const extra = await api('GET', `/v1/transactions/${id}/events?foo=1`);
    expectField(extra, 400, 'query.foo');
  });
});

describe('GET /v1/transactions/{id}', () => {
  it('shows responses once the engine has recorded them', async () => {
    const { api, id } = await create({
      rcpt_to: [{ m: 'b@example.org' }],
      body: { inline: MESSAGE },
    });
    await t.db
      .update(schema.transactions)
      .set({
        status: 'delivered',
        attemptCount: 1,
        mailResponse: { code: 250, message: 'ok' },
        rcptResponse: [{ code: 250, message: 'accepted' }],
        dataResponse: { code: 250, message: 'queued as X' },
        finalAttemptReason: 'upstream_success',
        finishedAt: new Date(),
      })
      .where(eq(schema.transactions.id, id));
    const res = await api('GET', `/v1/transactions/${id}`);
    expect(res.json).toMatchObject({
      status: 'delivered',
      attempt_count: 1,
      mail_response: { code: 250, message: 'ok' },
      rcpt_response: [{ code: 250, message: 'accepted' }],
      data_response: { code: 250, message: 'queued as X' },
      final_attempt_reason: 'upstream_success',
    });
  });
});
