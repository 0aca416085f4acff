import { type ClientRequest, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GATEWAY_TOKEN } from '../testing/outbound.ts';
import { outboundPerTest } from '../testing/per-test.ts';

/**
 * The body PUT by the router streams into the upstream's DATA. The "router" here is a plain
 * HTTP client that sends the body in parts (chunked, no Content-Length), so a test can look at
 * the upstream (a real smtp-server) between two parts.
 */
const { gateway, sink } = outboundPerTest();

async function create(g: Awaited<ReturnType<typeof gateway>>, ...ports: number[]) {
  const created = await g.call('POST', '/v1/senders/s/transactions', {
    mail_from: { m: 'a@example.org' },
    rcpt_to: [{ m: 'b@example.net' }],
    remote_hosts: ports.map((port) => ({ host: '127.0.0.1', port })),
  });
  expect(created.status).toBe(201);
  return created.json.id as string;
}

/** A body PUT whose parts the test writes itself; `response` resolves with status and JSON. */
function openPut(url: string, id: string) {
  const req: ClientRequest = request(`${url}/v1/transactions/${id}/body`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'message/rfc822' },
  });
  let answered = false;
  const response = new Promise<{ status: number; json: { status: string } }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
  });
  response.catch(() => {});
  return { req, response, answered: () => answered };
}

const HEAD = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: streamed\r\n\r\n';
const line = (i: number) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(60)}\r\n`;
const part = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => line(from + i)).join('');

describe('outbound bodies are streamed', () => {
  it('the upstream receives the first bytes before the router has sent the rest', async () => {
    const s = await sink();
    const g = await gateway();
    const id = await create(g, s.port);
    const put = openPut(g.url, id);
    const first = HEAD + part(0, 2000); // ~150 kB
    put.req.write(first);
    // Buffering the body whole would send nothing upstream before the PUT ends.
    await expect.poll(() => s.dataBytes, { timeout: 5_000 }).toBeGreaterThan(64 * 1024);
    expect(s.received).toHaveLength(0);
    expect(put.answered()).toBe(false);
    const rest = part(2000, 2000);
    put.req.end(rest);
    expect((await put.response).status).toBe(200);
    const t = await g.waitDone(id);
    expect(t.data_response).toEqual({ code: 250, message: 'OK queued' });
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.body).toBe(first + rest);
  });

  it('a body cut off by the router never becomes a message upstream', async () => {
    const s = await sink();
    const g = await gateway();
    const id = await create(g, s.port);
    const put = openPut(g.url, id);
    put.req.write(HEAD + part(0, 2000));
    await expect.poll(() => s.dataBytes, { timeout: 5_000 }).toBeGreaterThan(64 * 1024);
    put.req.destroy();
    const t = await g.waitDone(id);
    expect(t.mail_response?.code).toBe(250);
    expect(t.data_response).toEqual({
      code: 451,
      enhanced: '4.3.0',
      message: 'The body upload from the router was interrupted',
    });
    // The gateway drops the upstream connection mid-DATA: no final dot, no message.
    await expect.poll(() => s.open, { timeout: 5_000 }).toBe(0);
    expect(s.received).toHaveLength(0);
  });

  it('falls back to the next host before reading the body, which then arrives whole there', async () => {
    const busy = await sink({ mail: () => '451 4.3.2 try later' });
    const good = await sink();
    const g = await gateway();
    const id = await create(g, busy.port, good.port);
    const put = openPut(g.url, id);
    const first = HEAD + part(0, 1000);
    put.req.write(first);
    await expect.poll(() => good.dataBytes, { timeout: 5_000 }).toBeGreaterThan(0);
    const rest = part(1000, 1000);
    put.req.end(rest);
    expect((await put.response).status).toBe(200);
    const t = await g.waitDone(id);
    expect(t.attempts).toEqual([
      {
        host: '127.0.0.1',
        port: busy.port,
        reply: { code: 451, enhanced: '4.3.2', message: 'try later' },
      },
    ]);
    expect(t.upstream).toBe(`127.0.0.1:${good.port}`);
    expect(busy.dataBytes).toBe(0);
    expect(good.received[0]?.body).toBe(first + rest);
  });

  it('a refused envelope: the PUT is still read and answered, with the refusal to poll', async () => {
    const refusing = await sink({ rcpt: () => '550 5.1.1 no such user' });
    const g = await gateway();
    const id = await create(g, refusing.port);
    const put = openPut(g.url, id);
    put.req.end(HEAD + part(0, 4000));
    expect((await put.response).status).toBe(200);
    const t = await g.waitDone(id);
    expect(t.rcpt_response).toEqual([{ code: 550, enhanced: '5.1.1', message: 'no such user' }]);
    expect(t.data_response).toBeNull();
    expect(refusing.dataBytes).toBe(0);
  });

  it('past the size limit mid-stream: 413, the upstream gets no message, the reply is 552', async () => {
    const s = await sink();
    const g = await gateway(); // maxBodyBytes 1 MiB
    const id = await create(g, s.port);
    const put = openPut(g.url, id);
    // ~1.4 MB in two writes: chunked, no Content-Length to refuse it by before reading
    put.req.write(HEAD);
    put.req.end(part(0, 20_000));
    expect((await put.response).status).toBe(413);
    const t = await g.waitDone(id);
    expect(t.data_response).toEqual({
      code: 552,
      enhanced: '5.3.4',
      message: 'Message too big for the gateway (max 1048576 bytes)',
    });
    await expect.poll(() => s.open, { timeout: 5_000 }).toBe(0);
    expect(s.received).toHaveLength(0);
  });
});
