/**
 * SMTP relay benchmark (issue 13): in one run, on this machine, Debian's Postfix as a relay to
 * Postfix's `smtp-sink` on loopback, and Koukan (`koukan start` on DATABASE_URL: the MX relays
 * the benchmark domain through the gateway to the same sink); `smtp-source` sends the same load
 * to each, once with a connection per message and once with reuse; then an MSA run with AUTH
 * (nodemailer, pooled connections). Prints accepted/s, delivered/s and the machine's CPU time
 * per message (every process, kernel included; the senders' and the sink's too), Koukan ÷
 * Postfix, and the peak RSS of each Koukan process. Between the two, the floor of a relay on
 * Koukan's parts (`bench/node-floor.ts`: smtp-server in, nodemailer out, nothing between; then
 * with one insert and one delete per message on the same database; then with two and with four
 * HTTP exchanges a message as well, in the shapes of Koukan's; then with the rows Koukan's data
 * model keeps for a message, `bench/floor-rows.ts`, alone and with the four exchanges) gets the
 * same load with reuse, so the run shows how much of the gap to Postfix the platform itself
 * leaves, and how much the design's storage does.
 * Usage: DATABASE_URL=postgres://… npm run bench:smtp [-- messages sessions size portBase warmup]
 * (default 5000 × 4096 bytes over 20 sessions; ports from 15000: router, +1 gateway, +4 MX,
 * +5 MSA, +10 Postfix, +11 smtp-sink, +12 the floor). Before its measured runs each MTA relays
 * `warmup` messages (default 1000; 0: none) that are not counted: an MTA in service is
 * warm, and Koukan's processes compile their hot paths (V8's JIT) in their first thousand
 * messages — a cold first run measured the compiler as much as the relay.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, getSenderByName } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import { havePostfix, smtpSource, startPostfix, startSmtpSink } from './postfix.ts';
import {
  filler,
  koukanEnv,
  machineCpu,
  msaTransport,
  out,
  perComponent,
  pooled,
  repoRoot,
  sleep,
  startKoukan,
  until,
} from './smtp-koukan.ts';

const messages = Number(process.argv[2] ?? 5000);
const sessions = Number(process.argv[3] ?? 20);
const size = Number(process.argv[4] ?? 4096);
const base = Number(process.argv[5] ?? 15000);
const ports = {
  router: base,
  gateway: base + 1,
  mx: base + 4,
  msa: base + 5,
  postfix: base + 10,
  sink: base + 11,
  floor: base + 12,
};
const DOMAIN = 'bench.test';
const warmup = Number(process.argv[6] ?? 1000);

if (!process.env.DATABASE_URL) throw new Error('bench:smtp measures on DATABASE_URL; set it');
if (!havePostfix()) {
  throw new Error(
    'Postfix is missing: apt-get install postfix (with a policy-rc.d that keeps it stopped, as .ci/run does)',
  );
}

interface Run {
  name: string;
  acceptedPerS: number;
  deliveredPerS: number;
  /** Machine CPU (every process, kernel included) per message, ms. */
  cpuMs: number;
}

/**
 * Sends the load with `send` (resolving with how long the sending took, when it timed that
 * itself) and waits for every message at the sink.
 */
async function measure(
  name: string,
  send: () => Promise<number | undefined>,
  count = messages,
): Promise<Run> {
  const before = sink.delivered();
  const cpuBefore = machineCpu();
  const started = performance.now();
  const acceptedMs = (await send()) ?? performance.now() - started;
  await until(() => sink.delivered() - before >= count, 600_000);
  const deliveredMs = performance.now() - started;
  const run = {
    name,
    acceptedPerS: (count * 1000) / acceptedMs,
    deliveredPerS: (count * 1000) / deliveredMs,
    cpuMs: ((machineCpu() - cpuBefore) * 1000) / count,
  };
  out(
    `${name}: accepted ${run.acceptedPerS.toFixed(0)}/s, delivered ${run.deliveredPerS.toFixed(0)}/s, machine CPU ${run.cpuMs.toFixed(1)} ms/message`,
  );
  return run;
}

/** Sends the load with smtp-source. */
const relayRun = (name: string, port: number, reuse: boolean) =>
  measure(name, () => smtpSource({ port, messages, sessions, size, reuse, to: `rcpt@${DOMAIN}` }));

/** The uncounted warm-up (connection reuse) before an MTA's measured runs. */
async function warm(name: string, port: number): Promise<void> {
  if (warmup <= 0) return;
  const send = () =>
    smtpSource({ port, messages: warmup, sessions, size, reuse: true, to: `rcpt@${DOMAIN}` });
  await measure(`${name} warm-up, ${warmup} messages (not counted)`, send, warmup);
}

const dir = mkdtempSync(join(tmpdir(), 'koukan-bench-smtp-'));
chmodSync(dir, 0o755); // Postfix's daemons (user postfix) reach their queue inside
const sink = startSmtpSink(ports.sink);
const db = await createTestDatabase({ migrate: false });
let koukan: Awaited<ReturnType<typeof startKoukan>> | undefined;
let postfix: ReturnType<typeof startPostfix> | undefined;
try {
  const sc = await db.pool.query<{ synchronous_commit: string }>('show synchronous_commit');
  out(
    `${messages} messages × ${size} B, ${sessions} sessions, ${warmup} warm-up; PostgreSQL synchronous_commit=${sc.rows[0]?.synchronous_commit}`,
  );

  // Postfix
  postfix = startPostfix({
    dir: join(dir, 'postfix'),
    port: ports.postfix,
    sinkPort: ports.sink,
    domain: DOMAIN,
  });
  await sleep(1000); // master starts its listeners
  await warm('postfix', ports.postfix);
  const pfNew = await relayRun('postfix, connection per message', ports.postfix, false);
  const pfReuse = await relayRun('postfix, connection reuse', ports.postfix, true);
  postfix.stop();
  postfix = undefined;

  // The floor: Koukan's parts with nothing between them, then with the least durable storage
  const floor: Run[] = [];
  // (and Koukan's own rows for each message, on a database of their own with Koukan's schema)
  const rowsDb = await createTestDatabase();
  try {
    for (const [name, hops, url, store] of [
      ['node floor (smtp-server → nodemailer, nothing stored), connection reuse', 0, undefined],
      ['node floor + PostgreSQL (an insert and a delete per message), connection reuse', 0, db.url],
      ['node floor + PostgreSQL + 2 HTTP exchanges per message, connection reuse', 2, db.url],
      ['node floor + PostgreSQL + 4 HTTP exchanges per message, connection reuse', 4, db.url],
      [
        "node floor + Koukan's rows (2 statements per message), connection reuse",
        0,
        rowsDb.url,
        'koukan',
      ],
      [
        "node floor + Koukan's rows + 4 HTTP exchanges per message, connection reuse",
        4,
        rowsDb.url,
        'koukan',
      ],
    ] as const) {
      const relay = await startFloor(hops, url, store);
      try {
        await warm(name, ports.floor);
        floor.push(await relayRun(name, ports.floor, true));
      } finally {
        await relay.stop();
      }
    }
  } finally {
    await rowsDb.destroy();
  }
  await db.pool.query('drop table if exists floor_queue');

  // Koukan
  const env = koukanEnv({ dir, databaseUrl: db.url, ports, domain: DOMAIN, sessions });
  koukan = await startKoukan(env, ports);
  await sleep(1000);
  await warm('koukan', ports.mx);
  const kNew = await relayRun('koukan, connection per message', ports.mx, false);
  const kReuse = await relayRun('koukan, connection reuse', ports.mx, true);
  const kMsa = await msaRun();
  const rss = peakRss(koukan.child.pid!);

  out('');
  out('| run | accepted/s | delivered/s | machine CPU/message | Koukan ÷ Postfix (delivered) |');
  out('|---|---|---|---|---|');
  const row = (r: Run, ratio = '') =>
    out(
      `| ${r.name} | ${r.acceptedPerS.toFixed(0)} | ${r.deliveredPerS.toFixed(0)} | ${r.cpuMs.toFixed(1)} ms | ${ratio} |`,
    );
  const ratio = (k: Run, p: Run) =>
    `${(k.deliveredPerS / p.deliveredPerS).toFixed(2)}× (accepted ${(k.acceptedPerS / p.acceptedPerS).toFixed(2)}×)`;
  row(pfNew);
  row(pfReuse);
  for (const f of floor) row(f, ratio(f, pfReuse));
  row(kNew, ratio(kNew, pfNew));
  row(kReuse, ratio(kReuse, pfReuse));
  row(kMsa, `MSA ÷ MX relay (reuse): ${(kMsa.deliveredPerS / kReuse.deliveredPerS).toFixed(2)}×`);
  out('');
  out(
    `The floor is one process, bound to one core: its CPU per message, beside Postfix's ${pfReuse.cpuMs.toFixed(1)} ms, is what a relay on these parts could reach; its rate is not.`,
  );
  for (const [name, mb] of rss) out(`peak RSS ${name}: ${mb} MB`);
} finally {
  postfix?.stop();
  await koukan?.stop();
  sink.stop();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `bench/node-floor.ts` on `ports.floor` with `hops` HTTP exchanges a message, durable on
 * `databaseUrl` when given: an insert and a delete, or Koukan's rows with the store `koukan`.
 */
async function startFloor(hops: number, databaseUrl?: string, store?: 'koukan') {
  const args = [ports.floor, ports.sink, sessions, hops, ...(databaseUrl ? [databaseUrl] : [])];
  if (store) args.push(store);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/node-floor.ts', ...args.map(String)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let listening = false;
  child.stdout.on('data', (d: Buffer) => {
    if (String(d).includes('listening')) listening = true;
  });
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`node-floor exited ${child.exitCode}`);
      return listening;
    },
    60_000,
    'node-floor to listen',
  );
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** MSA with AUTH: a pooled nodemailer client (`sessions` connections) submits `messages`. */
async function msaRun(): Promise<Run> {
  const sender = await getSenderByName(db.db, 'smtp-msa');
  const { key } = await createApiKey(db.db, { senderId: sender!.id });
  const client = msaTransport(ports.msa, key, pooled(sessions));
  // the same size as smtp-source's messages
  const raw = `From: bench@source.example\r\nTo: rcpt@${DOMAIN}\r\nSubject: bench\r\n\r\n${filler(size - 80)}`;
  const r = await measure('koukan MSA (AUTH, pooled)', async () => {
    const envelope = { from: 'bench@source.example', to: [`rcpt@${DOMAIN}`] };
    await Promise.all(Array.from({ length: messages }, () => client.sendMail({ envelope, raw })));
    return undefined;
  });
  client.close();
  return r;
}

/** Peak RSS (VmHWM) of each process under `root`, by component. */
function peakRss(root: number): [string, number][] {
  return perComponent(root, (pid) => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return hwm ? Math.round(Number(hwm[1]) / 1024) : undefined;
  });
}
