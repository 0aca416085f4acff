import type { RequestListener } from 'node:http';
import type { Reply } from '@koukan/protocol';
import { FakeServer } from '@koukan/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterClient, RouterError, routerTransactionOf } from './router-client.ts';

afterEach(FakeServer.closeAll);
const serve = async (handler: RequestListener) =>
  new RouterClient({ baseUrl: await FakeServer.serve(handler) });

describe('RouterClient', () => {
  it('refreshes a stale ETag once on 412 and retries the PATCH', async () => {
    const seen: string[] = [];
    const client = await serve((req, res) => {
      seen.push(`${req.method} ${req.headers['if-match'] ?? ''}`);
      req.resume();
      if (req.method === 'PATCH' && req.headers['if-match'] !== '"2"') {
        res.writeHead(412).end();
        return;
      }
      res.writeHead(200, {
        etag: req.method === 'GET' ? '"2"' : '"3"',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ id: 't' }));
    });
    const out = await client.addRecipients({ id: 't', etag: '"1"', json: { id: 't' } }, 'k', [
      { m: 'a@b' },
    ]);
    expect(out.etag).toBe('"3"');
    expect(seen).toEqual(['PATCH "1"', 'GET ', 'PATCH "2"']);
  });

  it('classifies failures: 401 denied, 503 unavailable, no answer unavailable', async () => {
    const client = await serve((req, res) => {
      req.resume();
      res.writeHead(req.url?.includes('denied') ? 401 : 503).end();
    });
    await expect(
      client.create('denied', 'k', { mail_from: { m: '' }, rcpt_to: [] }),
    ).rejects.toMatchObject({ kind: 'denied' });
    await expect(
      client.create('x', 'k', { mail_from: { m: '' }, rcpt_to: [] }),
    ).rejects.toMatchObject({ kind: 'unavailable' });
    const nowhere = new RouterClient({ baseUrl: 'http://127.0.0.1:1' });
    const err = await nowhere.get('t', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterError);
    expect((err as RouterError).kind).toBe('unavailable');
  });

  it('reads the fields it uses from a transaction reply, bare or wrapped, and drops the rest', () => {
    const t = {
      id: 't1',
      status: 'awaiting_body',
      mail_from: { m: 'a@b' },
      mail_response: null,
      rcpt_response: [{ code: 250, enhanced: '2.1.5', message: 'ok' }, null],
      data_response: null,
      created_at: '2026-12-02T00:00:00Z',
    };
    const bare = routerTransactionOf(reply(t));
    expect(bare).toEqual({
      id: 't1',
      mail_response: null,
      rcpt_response: [{ code: 250, enhanced: '2.1.5', message: 'ok' }, null],
      data_response: null,
    });
    expect(routerTransactionOf(reply({ upload: { size: 1 }, transaction: t }))).toEqual(bare);
    expect(routerTransactionOf(reply({ id: 't2' }))).toEqual({ id: 't2' });
  });

  it('refuses a reply that is not a transaction', () => {
    for (const bad of [{}, { id: 1 }, { id: 't', rcpt_response: [{ code: '250' }] }, null]) {
      expect(() => routerTransactionOf(reply(bad))).toThrow(/not a transaction/);
    }
    expect(() => routerTransactionOf({ ...reply({}), json: () => JSON.parse('{') })).toThrow();
  });
});

function reply(body: unknown): Reply {
  const text = JSON.stringify(body);
  return {
    status: 200,
    ok: true,
    text,
    header: () => undefined,
    json: <T>() => JSON.parse(text) as T,
  };
}
