/**
 * The floor under any relay built on Koukan's parts (issue 13): the least a Node.js process can
 * spend relaying a message with `smtp-server` in and nodemailer out, the libraries the design
 * names, with none of Koukan's work between them. `bench:smtp` runs it beside Postfix and Koukan
 * so that one run shows how much of the gap the platform itself leaves.
 *
 * Each message is read whole, relayed over a pool of `sessions` reused connections to the sink,
 * and answered 250 once the sink has accepted it (cut-through, as Koukan's MX answers). With a
 * database URL it is also durable the simplest way: one insert (envelope and body, committed)
 * before relaying and one delete after, each its own statement and commit, as a store-and-forward
 * MTA must at least do. No router, no HTTP, no timeline: a bench reference, not a relay to run.
 *
 * With `hops` > 0 each message also makes that many HTTP exchanges before it is relayed (undici
 * to a fastify server in this process over loopback), the price of the exchanges Koukan's path
 * makes between its processes. They take the shapes of Koukan's four in turn: a JSON envelope
 * (the create at RCPT), the raw body (its PUT), a JSON envelope with the body inline (the
 * output's create) and a GET (the long-poll), each answered with a small JSON transaction.
 *
 * It is one process, so one core bounds its rate: on a machine of several cores compare its CPU
 * per message with Postfix's, not its messages per second.
 *
 * With the store `koukan` (a database migrated to Koukan's schema) the insert and the delete
 * give way to the rows Koukan's data model keeps for the message, in two statements
 * (`bench/floor-rows.ts`): the floor of Koukan's storage rather than of any MTA's.
 *
 * Usage: node --import tsx bench/node-floor.ts <port> <sinkPort> <sessions> <hops> [databaseUrl [queue|koukan]]
 * Prints `listening` once it takes connections; SIGTERM stops it.
 */
import Fastify from 'fastify';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { Agent, request } from 'undici';
import { type FloorRows, koukanRows } from './floor-rows.ts';

const [port, sinkPort, sessions, hops] = process.argv.slice(2, 6).map(Number) as [
  number,
  number,
  number,
  number,
];
const databaseUrl = process.argv[6];
const store = process.argv[7] ?? 'queue';
if (store !== 'queue' && store !== 'koukan') throw new Error(`unknown store ${store}`);

const api = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
api.addContentTypeParser('message/rfc822', { parseAs: 'buffer' }, (_req, body, done) =>
  done(null, body),
);
let created = 0;
const answer = (size: number) => ({ id: String(++created), status: 'queued', size });
api.post('/hop', async (req, reply) =>
  reply.code(201).send(answer(JSON.stringify(req.body).length)),
);
api.put('/hop', async (req) => answer((req.body as Buffer).length));
api.get('/hop', async () => answer(0));
const apiUrl = hops > 0 ? await api.listen({ port: 0, host: '127.0.0.1' }) : '';
const dispatcher = new Agent({ connections: sessions * 2 });

/** The `i`-th exchange of a message, in the shape of Koukan's `i % 4`-th. */
async function hop(i: number, from: string, to: string[], raw: Buffer): Promise<void> {
  const json = 'application/json';
  const envelope = { mail_from: { m: from }, rcpt_to: to.map((m) => ({ m })) };
  const shapes = [
    { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify(envelope) },
    { method: 'PUT', headers: { 'content-type': 'message/rfc822' }, body: raw },
    {
      method: 'POST',
      headers: { 'content-type': json },
      body: JSON.stringify({ ...envelope, body: { inline: raw.toString('utf8') } }),
    },
    { method: 'GET', headers: {} },
  ] as const;
  const res = await request(`${apiUrl}/hop`, { ...shapes[i % 4]!, dispatcher });
  if (res.statusCode >= 300) throw new Error(`hop answered ${res.statusCode}`);
  await res.body.json();
}

const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: sessions }) : null;
const rows: FloorRows | undefined = pool && store === 'koukan' ? await koukanRows(pool) : undefined;
if (!rows)
  await pool?.query(`create table if not exists floor_queue (
  id bigint generated always as identity primary key,
  mail_from text not null, rcpt_to text[] not null, body bytea not null,
  accepted_at timestamptz not null default now())`);

const upstream = nodemailer.createTransport({
  host: '127.0.0.1',
  port: sinkPort,
  secure: false,
  ignoreTLS: true,
  pool: true,
  maxConnections: sessions,
  maxMessages: Number.POSITIVE_INFINITY,
});

async function relay(from: string, to: string[], raw: Buffer): Promise<void> {
  for (let i = 0; i < hops; i++) await hop(i, from, to, raw);
  if (rows) {
    const ids = await rows.accept(from, to, raw);
    await upstream.sendMail({ envelope: { from, to }, raw });
    return rows.done(ids);
  }
  const stored = await pool?.query<{ id: string }>({
    name: 'floor-insert',
    text: 'insert into floor_queue (mail_from, rcpt_to, body) values ($1, $2, $3) returning id',
    values: [from, to, raw],
  });
  await upstream.sendMail({ envelope: { from, to }, raw });
  const id = stored?.rows[0]?.id;
  if (id)
    await pool?.query({
      name: 'floor-delete',
      text: 'delete from floor_queue where id = $1',
      values: [id],
    });
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const to = session.envelope.rcptTo.map((r) => r.address);
      relay(from, to, Buffer.concat(chunks)).then(
        () => callback(),
        (err: Error) =>
          callback(Object.assign(new Error(`4.4.0 ${err.message}`), { responseCode: 451 })),
      );
    });
  },
});

server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  setTimeout(() => process.exit(0), 5000).unref(); // a client that never hung up
  server.close(() => {
    upstream.close();
    void api.close();
    void pool?.end().finally(() => process.exit(0));
    if (!pool) process.exit(0);
  });
});
