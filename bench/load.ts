/**
 * The load side of bench/e2e.ts, run as its own process so that it does not share the router's
 * event loop: the REST sink (the upstream) and the clients. Talks to the parent over IPC:
 * sends `{ sink }` once listening, receives `{ base, key, total, concurrency }`, runs both
 * phases and sends `{ lines }` with the results.
 */
import { Agent, request } from 'node:http';
import { startSink } from './sink.ts';

interface Go {
  base: string;
  key: string;
  total: number;
  concurrency: number;
}

const body =
  `From: a@example.com\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(
    50,
  );
const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });
const sink = await startSink();
process.send?.({ sink: sink.url });
const go = await new Promise<Go>((resolve) => process.once('message', (m) => resolve(m as Go)));

function call(
  method: string,
  path: string,
  payload?: string,
  headers: Record<string, string> = {},
) {
  return new Promise<{ status: number; etag?: string; json: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(`${go.base}${path}`, {
        method,
        agent: keepAlive,
        headers: {
          authorization: `Bearer ${go.key}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            etag: res.headers.etag,
            json: text ? JSON.parse(text) : {},
          });
        });
      });
      req.on('error', reject);
      req.end(payload);
    },
  );
}

const create = JSON.stringify({
  mail_from: { m: 'a@example.com' },
  rcpt_to: [{ m: 'b@example.org' }],
  body: { inline: body },
});

/** One transaction: create, then long-poll until final. Returns ms from 201 to delivered. */
async function one(): Promise<number> {
  const created = await call('POST', '/v1/senders/bench/transactions', create);
  if (created.status !== 201)
    throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
  const t0 = performance.now();
  let etag = created.etag!;
  let status = created.json.status as string;
  while (status !== 'delivered') {
    if (status === 'failed' || status === 'cancelled') throw new Error(`transaction ${status}`);
    const res = await call('GET', `/v1/transactions/${created.json.id}`, undefined, {
      'if-none-match': etag,
      'request-timeout': '10',
    });
    if (res.status === 200) {
      etag = res.etag!;
      status = res.json.status as string;
    }
  }
  return performance.now() - t0;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
const lines: string[] = [];
try {
  // Warm-up.
  await Promise.all(Array.from({ length: 50 }, one));

  // 1. Throughput: `concurrency` clients, `total` transactions created and delivered.
  let next = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: go.concurrency }, async () => {
      while (next++ < go.total) lat.push(await one());
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lines.push(
    `throughput: ${go.total} transactions, ${go.concurrency} clients, 4 KB bodies: ${(go.total / secs).toFixed(0)} delivered/s (${secs.toFixed(1)} s); 201→delivered p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms`,
  );

  // 2. Latency at a steady 50 transactions per second for 10 s.
  const paced: Promise<number>[] = [];
  const start = performance.now();
  for (let i = 0; i < 500; i++) {
    const due = start + i * 20;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    paced.push(one());
  }
  const lat50 = await Promise.all(paced);
  lines.push(
    `latency at 50/s: 500 transactions, 201→delivered p50 ${pct(lat50, 0.5).toFixed(1)} ms, p90 ${pct(lat50, 0.9).toFixed(1)} ms, p99 ${pct(lat50, 0.99).toFixed(1)} ms`,
  );
  lines.push(`sink received ${sink.delivered()} bodies`);
} catch (err) {
  lines.push(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
} finally {
  process.send?.({ lines });
  keepAlive.destroy();
  await sink.close();
  process.disconnect?.();
}
