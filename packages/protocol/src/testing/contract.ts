import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, transactionOf } from '../client.ts';
import type { Reply } from '../http.ts';
import { errorBodySchema, transactionSchema } from '../schemas.ts';

/**
 * The contract of the transaction protocol: the same cases, through the protocol's own client,
 * against every implementation (the router's API, the gateway's outbound API, and each fake
 * that stands in for one in tests), so that none can drift from the others.
 */
export interface ContractTarget {
  /** The API's base URL. */
  url: string;
  sender: string;
  apiKey: string;
  /** A create this implementation accepts: one recipient, no body. */
  envelope: () => Record<string, unknown>;
  close(): Promise<void>;
}

const MESSAGE = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: contract\r\n\r\nHello.\r\n';

/** The error body, and the fields it names. */
function errorFields(reply: Reply): string[] {
  const body = errorBodySchema.parse(reply.json());
  return body.error.details.map((d) => d.field ?? '');
}

export function protocolContract(name: string, start: () => Promise<ContractTarget>): void {
  describe(`the transaction protocol: ${name}`, () => {
    let target: ContractTarget;
    let client: ProtocolClient;
    beforeAll(async () => {
      target = await start();
      client = new ProtocolClient({ baseUrl: target.url, apiKey: target.apiKey });
    });
    afterAll(async () => {
      await target?.close();
    });

    async function create(headers: Record<string, string> = {}, json = target.envelope()) {
      const reply = await client.create(target.sender, json, { headers });
      expect(reply.status, reply.text).toBe(201);
      const t = transactionSchema.parse(reply.json());
      const url = client.transactionUrl(t.id, reply.header('location'));
      return { reply, t, url, etag: reply.header('etag')! };
    }

    it('create answers 201 with Location, ETag and the transaction', async () => {
      const { reply, t } = await create();
      expect(reply.header('location')).toMatch(new RegExp(`/v1/transactions/${t.id}$`));
      expect(reply.header('etag')).toMatch(/^(W\/)?".+"$/);
      expect(t.rcpt_to.map((r) => r.m)).toEqual(
        (target.envelope().rcpt_to as { m: string }[]).map((r) => r.m),
      );
      expect(t.data_response).toBeNull();
    });

    it('GET answers the transaction; a long-poll on its ETag answers 304 when nothing changes', async () => {
      const { t, url, etag } = await create();
      const got = await client.get(url);
      expect(got.status).toBe(200);
      expect(got.header('etag')).toBe(etag);
      expect(transactionSchema.parse(got.json()).id).toBe(t.id);
      const poll = await client.get(url, {
        headers: { 'if-none-match': etag, 'request-timeout': '0.3' },
      });
      expect(poll.status).toBe(304);
      expect(poll.header('etag')).toBe(etag);
    });

    it('a body upload answers the transaction and wakes a long-poll on the old ETag', async () => {
      const { t, url, etag } = await create();
      const put = await client.putBody(url, MESSAGE);
      expect(put.ok, put.text).toBe(true);
      expect(transactionOf(put).id).toBe(t.id);
      const poll = await client.get(url, {
        headers: { 'if-none-match': etag, 'request-timeout': '10' },
      });
      expect(poll.status).toBe(200);
      expect(poll.header('etag')).not.toBe(etag);
      expect(transactionSchema.parse(poll.json()).id).toBe(t.id);
    });

    it('cancel answers the transaction, cancelled', async () => {
      const { url } = await create();
      const cancelled = await client.cancel(url);
      expect(cancelled.status).toBe(200);
      expect(transactionSchema.parse(cancelled.json()).status).toBe('cancelled');
      expect(transactionSchema.parse((await client.get(url)).json()).status).toBe('cancelled');
    });

    it('a create repeated with its Idempotency-Key is the same transaction', async () => {
      const key = { 'idempotency-key': `contract-${Math.random()}` };
      const first = await create(key);
      const again = await client.create(target.sender, target.envelope(), { headers: key });
      expect([200, 201]).toContain(again.status);
      expect(transactionSchema.parse(again.json()).id).toBe(first.t.id);
      const other = { ...target.envelope(), rcpt_to: [{ m: 'other@example.org' }] };
      const changed = await client.create(target.sender, other, { headers: key });
      expect(changed.status).toBe(422);
      expect(errorFields(changed)).toContain('headers.idempotency-key');
    });

    describe('bad input is a 4xx with the error body naming the field', () => {
      it('a malformed create', async () => {
        const bad = await client.create(target.sender, { ...target.envelope(), rcpt_to: 'x' });
        expect(bad.status).toBe(400);
        expect(errorFields(bad)).toContain('body.rcpt_to');
      });

      it('a body that is not JSON', async () => {
        const path = `/v1/senders/${encodeURIComponent(target.sender)}/transactions`;
        const bad = await client.request('POST', path, {
          body: '{"mail_from":',
          headers: { 'content-type': 'application/json' },
        });
        expect(bad.status).toBe(400);
        expect(errorFields(bad)).toContain('body');
      });

      it('a Request-Timeout that is not a number of seconds', async () => {
        const { url, etag } = await create();
        const bad = await client.get(url, {
          headers: { 'if-none-match': etag, 'request-timeout': 'NaN' },
        });
        expect(bad.status).toBe(400);
        expect(errorFields(bad)).toContain('headers.request-timeout');
      });

      it('an unknown transaction, a wrong key', async () => {
        const missing = await client.get(client.transactionUrl('no-such-transaction'));
        expect(missing.status).toBe(404);
        errorFields(missing);
        const stranger = new ProtocolClient({ baseUrl: target.url, apiKey: 'not-a-key' });
        const denied = await stranger.create(target.sender, target.envelope());
        expect(denied.status).toBe(401);
        errorFields(denied);
      });
    });
  });
}
