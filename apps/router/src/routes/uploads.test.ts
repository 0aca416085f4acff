import { createHash, randomBytes } from 'node:crypto';
import { schema } from '@koukan/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  client,
  expectField,
  MESSAGE,
  makeSender,
  type Router,
  routerSuite,
  startRouter,
  storedHash,
} from '../testing/harness.ts';
import { rawPut } from '../testing/raw-http.ts';

let small: Router;
const finalized: string[] = [];
const { t, router } = routerSuite(async (t) => {
  small = await startRouter(t, { maxBodyBytes: 1000 });
  return {
    uploadIdleTimeoutMs: 500,
    onBodyFinalized: (id) => finalized.push(id),
    stop: () => small.close(),
  };
});

const base = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

async function pending(url = router.url) {
  const s = await makeSender(t.db);
  const api = client(url, s.key);
  const res = await api('POST', `/v1/senders/${s.name}/transactions`, { json: base });
  expect(res.status).toBe(201);
  return { ...s, api, id: res.json.id as string, auth: { authorization: `Bearer ${s.key}` } };
}

async function bodyBlobId(id: string): Promise<string> {
  const [row] = await t.db.select().from(schema.transactions).where(eq(schema.transactions.id, id));
  return row!.bodyBlobId!;
}

describe('PUT /v1/transactions/{id}/body', () => {
  it.each([
    ['message/rfc822', { 'content-type': 'message/rfc822' }],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }],
    ['no content type (curl -T)', {}],
  ])('uploads a whole message (%s) and makes the transaction due', async (_n, headers) => {
    const tx = await pending();
    const res = await rawPut(
      `${router.url}/v1/transactions/${tx.id}/body`,
      { ...tx.auth, ...headers, 'content-length': MESSAGE.length },
      [Buffer.from(MESSAGE)],
    );
    if (res === 'aborted') throw new Error('aborted');
    expect(res.status).toBe(200);
    expect(res.json.upload).toEqual({
      size: MESSAGE.length,
      expected_size: MESSAGE.length,
      complete: true,
    });
    expect(res.json.transaction.body.status).toBe('finalized');
    expect(res.json.transaction.next_attempt_at).not.toBeNull();
    expect(res.headers.etag).toBe(`"${res.json.transaction.version}"`);
    expect(finalized).toContain(tx.id);
    const again = await tx.api.put(tx.id, MESSAGE);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('conflict');
  });

  it('chunks with Content-Range; 416 with the current range on a bad offset', async () => {
    const tx = await pending();
    const data = Buffer.from(MESSAGE);
    const first = await tx.api.put(tx.id, data.subarray(0, 10), {
      'content-range': `bytes 0-9/${data.length}`,
    });
    expect(first.status).toBe(200);
    expect(first.json.upload).toMatchObject({ size: 10, complete: false });
    expect(first.headers.get('upload-offset')).toBe('10');
    expect(first.json.transaction.body.status).toBe('uploading');
    expect(first.json.transaction.next_attempt_at).toBeNull();
    const wrong = await tx.api.put(tx.id, data.subarray(20), {
      'content-range': `bytes 20-${data.length - 1}/${data.length}`,
    });
    expect(wrong.status).toBe(416);
    expect(wrong.json.error).toMatchObject({ code: 'range_not_satisfiable', size: 10 });
    expect(wrong.json.error.details[0].field).toBe('headers.content-range');
    expect(wrong.headers.get('range')).toBe('bytes=0-9');
    expect(wrong.headers.get('upload-offset')).toBe('10');
    const rest = await tx.api.put(tx.id, data.subarray(10), {
      'content-range': `bytes 10-${data.length - 1}/${data.length}`,
    });
    expect(rest.status).toBe(200);
    expect(rest.json.upload.complete).toBe(true);
    expect(await storedHash(t.db, await bodyBlobId(tx.id))).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  });

  it('an unknown total ("/*") is completed by "bytes */<total>"', async () => {
    const tx = await pending();
    const r1 = await tx.api.put(tx.id, 'abc', { 'content-range': 'bytes 0-2/*' });
    expect(r1.json.upload).toMatchObject({ size: 3, complete: false });
    const early = await tx.api.put(tx.id, undefined, { 'content-range': 'bytes */4' });
    expect(early.status).toBe(416);
    const done = await tx.api.put(tx.id, undefined, { 'content-range': 'bytes */3' });
    expect(done.status).toBe(200);
    expect(done.json.upload.complete).toBe(true);
  });

  it.each([['bytes=0-9'], ['bytes 9-0/10'], ['bytes 0-10/10'], ['items 0-1/2'], ['bytes a-b/c']])(
    '400 for a malformed Content-Range %j',
    async (range) => {
      const tx = await pending();
      const res = await tx.api.put(tx.id, 'x', { 'content-range': range });
      expectField(res, 400, 'headers.content-range');
    },
  );

  it('400 for an empty whole-body upload', async () => {
    const tx = await pending();
    const res = await tx.api.put(tx.id, '');
    expectField(res, 400, 'body');
  });

  it('400 when the bytes disagree with Content-Range', async () => {
    const tx = await pending();
    const res = await tx.api.put(tx.id, 'x'.repeat(20), { 'content-range': 'bytes 0-9/100' });
    expectField(res, 400, 'headers.content-length');
  });

  it('413 over the limit: by Content-Length, by Content-Range total, and while streaming', async () => {
    const tx = await pending(small.url);
    const url = `${small.url}/v1/transactions/${tx.id}/body`;
    const byLength = await tx.api.put(tx.id, 'x'.repeat(1001));
    expect(byLength.status).toBe(413);
    expect(byLength.json.error.code).toBe('payload_too_large');
    const byRange = await tx.api.put(tx.id, 'x', { 'content-range': 'bytes 0-0/5000' });
    expect(byRange.status).toBe(413);
    const streamed = await rawPut(url, { ...tx.auth, 'transfer-encoding': 'chunked' }, [
      Buffer.alloc(600, 'a'),
      Buffer.alloc(600, 'b'),
    ]);
    if (streamed === 'aborted') throw new Error('aborted');
    expect(streamed.status).toBe(413);
    expect(streamed.json.error.code).toBe('payload_too_large');
  });

  it('a stalled upload is cut with 408 and stays resumable', async () => {
    const tx = await pending();
    const url = `${router.url}/v1/transactions/${tx.id}/body`;
    const data = Buffer.from(MESSAGE.repeat(20));
    const stalled = await rawPut(
      url,
      { ...tx.auth, 'content-length': data.length },
      [data.subarray(0, 300)],
      {
        pauseMs: 1,
      },
    );
    if (stalled === 'aborted') throw new Error('aborted');
    expect(stalled.status).toBe(408);
    expect(stalled.json.error).toMatchObject({ code: 'request_timeout', size: 300 });
    const rest = await tx.api.put(tx.id, data.subarray(300), {
      'content-range': `bytes 300-${data.length - 1}/${data.length}`,
    });
    expect(rest.status).toBe(200);
    expect(rest.json.upload.complete).toBe(true);
  });

  it('a 50 MB body in chunks, resumed after an interrupted chunk', async () => {
    const tx = await pending();
    const url = `${router.url}/v1/transactions/${tx.id}/body`;
    const total = 50 * 1024 * 1024;
    const data = randomBytes(total);
    const chunk = 8 * 1024 * 1024;
    const started = performance.now();
    let offset = 0;
    let interrupted = false;
    while (offset < total) {
      const end = Math.min(offset + chunk, total) - 1;
      const headers = {
        ...tx.auth,
        'content-range': `bytes ${offset}-${end}/${total}`,
        'content-length': end - offset + 1,
      };
      if (!interrupted && offset >= 2 * chunk) {
        // Send 3 MB of this 8 MB chunk, then drop the connection.
        interrupted = true;
        const before = (await tx.api('GET', `/v1/transactions/${tx.id}`)).json.version;
        const pieces = [
          data.subarray(offset, offset + 1024 * 1024),
          data.subarray(offset + 1024 * 1024, offset + 3 * 1024 * 1024),
        ];
        expect(await rawPut(url, headers, pieces, { abort: true })).toBe('aborted');
        // The server records what arrived; wait until it has, then resume from there.
        await expect
          .poll(async () => (await tx.api('GET', `/v1/transactions/${tx.id}`)).json, {
            timeout: 10_000,
          })
          .toSatisfy((j: { version: number }) => j.version > before);
        const view = (await tx.api('GET', `/v1/transactions/${tx.id}`)).json;
        const stored = view.body.rfc822.size as number;
        expect(stored).toBeGreaterThan(offset);
        expect(stored).toBeLessThanOrEqual(offset + 3 * 1024 * 1024);
        offset = stored;
        continue;
      }
      const res = await rawPut(url, headers, [data.subarray(offset, end + 1)]);
      if (res === 'aborted') throw new Error('aborted');
      expect(res.status).toBe(200);
      offset = res.json.upload.size;
    }
    const seconds = (performance.now() - started) / 1000;
    console.warn(`50 MB chunked upload with one resume: ${seconds.toFixed(1)} s`);
    const view = (await tx.api('GET', `/v1/transactions/${tx.id}`)).json;
    expect(view.body.rfc822).toMatchObject({ status: 'finalized', size: total });
    expect(await storedHash(t.db, await bodyBlobId(tx.id))).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  }, 180_000);
});
