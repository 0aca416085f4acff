import type { RequestListener } from 'node:http';
import { FakeServer } from '@koukan/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterClient, RouterError } from './router-client.ts';

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
});
