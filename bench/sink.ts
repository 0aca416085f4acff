import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A REST sink speaking Koukan's transaction protocol on loopback: accepts every transaction at
 * once (MAIL and RCPT at create, DATA when the body has arrived: in the create request when
 * it came inline, else with the PUT) and keeps only a counter.
 */
export async function startSink() {
  let nextId = 0;
  let delivered = 0;
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json', etag: '"1"' })
        .end(JSON.stringify(body));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (req.method === 'POST') chunks.push(c);
    });
    req.on('end', () => {
      const ok = { code: 250, message: '2.0.0 ok' };
      const taken = (status: number, id: string | undefined) => {
        delivered++;
        reply(status, {
          id,
          status: 'delivered',
          mail_response: ok,
          rcpt_response: [ok],
          data_response: ok,
        });
      };
      if (req.method === 'POST') {
        const id = `s${nextId++}`;
        const created = JSON.parse(Buffer.concat(chunks).toString()) as { body?: unknown };
        if (!created.body) {
          return reply(201, { id, status: 'inflight', mail_response: ok, rcpt_response: [ok] });
        }
        // The body came inline: taken at once.
        return taken(201, id);
      }
      if (req.method === 'PUT') return taken(200, req.url?.split('/')[3]);
      reply(404, { error: { code: 'not_found', message: 'sink', details: [] } });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    delivered: () => delivered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
