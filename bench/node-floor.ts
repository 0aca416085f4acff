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
 * Usage: node --import tsx bench/node-floor.ts <port> <sinkPort> <sessions> [databaseUrl]
 * Prints `listening` once it takes connections; SIGTERM stops it.
 */
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';

const [port, sinkPort, sessions] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const databaseUrl = process.argv[5];

const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: sessions }) : null;
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
    void pool?.end().finally(() => process.exit(0));
    if (!pool) process.exit(0);
  });
});
