/**
 * Per-message latency of the SMTP relay path (issue 13): `koukan start` (router and gateway) on
 * a fresh database of DATABASE_URL with the relay configuration of `bench/smtp.ts`; `sessions`
 * SMTP connections to the MX (nodemailer, reused connections, no TLS, as smtp-source) each send
 * their share of `messages` one after another. Prints, per message, the time from MAIL to the
 * 250 after DATA (accepted) and to the sink's receipt (delivered), p50/p90/p99, and messages/s.
 * Usage: DATABASE_URL=postgres://… node --import tsx bench/smtp-latency.ts [messages sessions size portBase [msa]]
 * (default 200 × 4096 B over 1 session, ports from 15100). With `msa` the sessions submit to the
 * MSA instead (STARTTLS, AUTH as `smtp-msa` with a fresh key; its chain explodes into
 * `smtp-msa-output` on the same relay), as `bench/smtp.ts`'s MSA run. NODE_OPTIONS reaches the components
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, getSenderByName } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import { SMTPServer } from 'smtp-server';
import {
  cpuSeconds,
  databaseCpu,
  filler,
  koukanEnv,
  machineCpu,
  msaTransport,
  mxTransport,
  out,
  pooled,
  startKoukan,
  until,
} from './smtp-koukan.ts';

const messages = Number(process.argv[2] ?? 200);
const sessions = Number(process.argv[3] ?? 1);
const size = Number(process.argv[4] ?? 4096);
const base = Number(process.argv[5] ?? 15100);
const msa = process.argv[6] === 'msa';
const DOMAIN = 'bench.test';
if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL');

// the sink: records when each message (by its Subject) arrived
const arrived = new Map<string, number>();
const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  onData(stream, _session, cb) {
    let head = '';
    stream.on('data', (c: Buffer) => {
      if (head.length < 2000) head += c.toString('latin1');
    });
    stream.on('end', () => {
      const m = /^Subject: (bench \d+)/m.exec(head);
      if (m) arrived.set(m[1]!, performance.now());
      cb(null, 'OK');
    });
  },
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkPort = (sink.server.address() as AddressInfo).port;

const ports = { router: base, gateway: base + 1, mx: base + 4, msa: base + 5, sink: sinkPort };
const dir = mkdtempSync(join(tmpdir(), 'koukan-bench-latency-'));
chmodSync(dir, 0o755);
const db = await createTestDatabase({ migrate: false });
const env = koukanEnv({ dir, databaseUrl: db.url, ports, domain: DOMAIN, sessions });
out(`starting koukan`);
const koukan = await startKoukan(env, ports);
out(`started`);
try {
  const bodyLines = filler(size - 100);
  const msaKey = async () => {
    const sender = await getSenderByName(db.db, 'smtp-msa');
    return (await createApiKey(db.db, { senderId: sender!.id })).key;
  };
  const client = msa
    ? msaTransport(ports.msa, await msaKey(), pooled(sessions))
    : mxTransport(ports.mx, pooled(sessions));
  const send = (i: number) =>
    client.sendMail({
      envelope: { from: 'bench@source.example', to: [`rcpt@${DOMAIN}`] },
      raw: `From: bench@source.example\r\nTo: rcpt@${DOMAIN}\r\nSubject: bench ${i}\r\n\r\n${bodyLines}`,
    });
  // warm-up: connections, caches, JIT
  for (let i = 0; i < Math.min(20, messages); i++) await send(-1 - i);

  const dbName = new URL(db.url).pathname.slice(1);
  const q = (sql: string, params: unknown[]) => db.pool.query<{ pid: number }>(sql, params);
  const machine0 = machineCpu();
  const cpu0 = cpuSeconds(koukan.child.pid!);
  const client0 = process.cpuUsage();
  const dbCpu0 = await databaseCpu(q, dbName);
  const started = new Map<number, number>();
  const accepted = new Map<number, number>();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      while (next < messages) {
        const i = next++;
        started.set(i, performance.now());
        await send(i);
        accepted.set(i, performance.now());
      }
    }),
  );
  const acceptedMs = performance.now() - t0;
  await until(
    () => Array.from({ length: messages }).every((_, i) => arrived.has(`bench ${i}`)),
    600_000,
  );
  const deliveredMs = Math.max(...[...arrived.values()]) - t0;
  client.close();
  const machine1 = machineCpu();
  const cpu1 = cpuSeconds(koukan.child.pid!);
  const client1 = process.cpuUsage(client0);
  const dbCpu1 = await databaseCpu(q, dbName);

  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1);
  };
  const acc = [...started].map(([i, t]) => accepted.get(i)! - t);
  const del = [...started].map(([i, t]) => arrived.get(`bench ${i}`)! - t);
  out(
    `${messages} messages × ${size} B, ${sessions} session(s), connection reuse${msa ? ', MSA (AUTH)' : ''}`,
  );
  out(
    `accepted (MAIL → 250 after DATA): p50 ${pct(acc, 50)} ms, p90 ${pct(acc, 90)} ms, p99 ${pct(acc, 99)} ms; ${((messages * 1000) / acceptedMs).toFixed(1)}/s`,
  );
  out(
    `delivered (MAIL → at the sink): p50 ${pct(del, 50)} ms, p90 ${pct(del, 90)} ms, p99 ${pct(del, 99)} ms; ${((messages * 1000) / deliveredMs).toFixed(1)}/s`,
  );
  const perMessage = (s: number) => `${((s * 1000) / messages).toFixed(1)} ms`;
  const cpuLine = [...cpu1]
    .filter(([name]) => name !== 'cli start')
    .map(([name, s]) => `${name} ${perMessage(s - (cpu0.get(name) ?? 0))}`);
  cpuLine.push(`PostgreSQL backends ${perMessage(dbCpu1 - dbCpu0)}`);
  // this process: the SMTP client (nodemailer; TLS on the MSA) and the sink
  cpuLine.push(`bench client + sink ${perMessage((client1.user + client1.system) / 1e6)}`);
  out(`CPU per message: ${cpuLine.join(', ')}`);
  out(
    `machine CPU per message (every process, kernel included): ${perMessage(machine1 - machine0)}`,
  );
} finally {
  await koukan.stop();
  await new Promise<void>((r) => sink.close(() => r()));
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
}
