/**
 * End-to-end benchmark of the router: REST create (4 KB inline body) → cut-through delivery by
 * the engine through a one-filter chain (`rest_output`) to a REST sink on loopback → the
 * client long-polls until `delivered`. Real PostgreSQL from DATABASE_URL (a private database
 * is created and dropped). Usage: DATABASE_URL=postgres://… npm run bench [-- total concurrency]
 */
import { request } from 'node:http';
import { createApiKey, createSender, upsertChain } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { buildApp } from '../apps/router/src/app.ts';
import { createChainRunner, startEngine } from '../apps/router/src/engine/index.ts';
import { startSink } from './sink.ts';

const total = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? 32);
const out = (line: string) => process.stdout.write(`${line}\n`);
if (!process.env.DATABASE_URL) out('note: DATABASE_URL unset, measuring the embedded database');

const body =
  `From: a@example.com\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(
    50,
  );
const db = await createTestDatabase({ poolSize: 20 });
const sink = await startSink();
const logger = pino({ level: 'silent' });
const engine = await startEngine({
  db: db.db,
  pool: db.pool,
  logger,
  runner: createChainRunner({ db: db.db, context: { logger } }),
  dsn: { reportingMta: 'bench' },
  concurrency: 64,
  retention: false,
});
const app = await buildApp({
  db: db.db,
  pool: db.pool,
  logger,
  onTransactionCreated: (id) => void engine.kick(id),
});
const base = await app.listen({ port: 0, host: '127.0.0.1' });
await upsertChain(db.db, {
  name: 'bench',
  filters: [{ filter: 'rest_output', url: sink.url, sender: 'sink' }],
  author: 'bench',
});
const sender = await createSender(db.db, { name: 'bench', output_chain: 'bench' });
const { key } = await createApiKey(db.db, { senderId: sender.id });

function call(
  method: string,
  path: string,
  payload?: string,
  headers: Record<string, string> = {},
) {
  return new Promise<{ status: number; etag?: string; json: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(`${base}${path}`, {
        method,
        agent: keepAlive,
        headers: {
          authorization: `Bearer ${key}`,
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

import { Agent } from 'node:http';

const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

/** One transaction: create, then long-poll until final. Returns ms from 201 to delivered. */
async function one(): Promise<number> {
  const created = await call(
    'POST',
    '/v1/senders/bench/transactions',
    JSON.stringify({
      mail_from: { m: 'a@example.com' },
      rcpt_to: [{ m: 'b@example.org' }],
      body: { inline: body },
    }),
  );
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
try {
  // Warm-up.
  await Promise.all(Array.from({ length: 50 }, one));

  // 1. Throughput: `concurrency` clients, `total` transactions created and delivered.
  let next = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) lat.push(await one());
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  out(
    `throughput: ${total} transactions, ${concurrency} clients, 4 KB bodies: ${(total / secs).toFixed(0)} delivered/s (${secs.toFixed(1)} s); 201→delivered p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms`,
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
  out(
    `latency at 50/s: 500 transactions, 201→delivered p50 ${pct(lat50, 0.5).toFixed(1)} ms, p90 ${pct(lat50, 0.9).toFixed(1)} ms, p99 ${pct(lat50, 0.99).toFixed(1)} ms`,
  );
  out(`sink received ${sink.delivered()} bodies`);
} finally {
  await app.close();
  await engine.stop();
  await sink.close();
  await db.destroy();
  keepAlive.destroy();
}
