/**
 * Fault injection (issue 15): three routers and two gateways (separate processes) on a scratch
 * PostgreSQL database, each kind behind a round-robin TCP proxy, relaying to an SMTP sink
 * process. A client submits unique messages through REST (201) and SMTP (250) and records
 * every acknowledged one, while the harness kill -9s a router at random moments (and starts it
 * again), kill -9s a gateway, freezes the sink (SIGSTOP/SIGCONT) and makes it drop connections
 * after DATA. With `--pg-restart=<version>/<cluster>` it also stops PostgreSQL with
 * `pg_ctlcluster … stop -m immediate` and starts it again, checking that meanwhile SMTP answers
 * 4xx and REST 503 (off by default: it disturbs everyone on a shared server). Afterwards it
 * waits for every transaction to end and prints acknowledged, delivered, lost (must be 0),
 * duplicates, the transactions left without a next attempt or a final reason, and the
 * rest_output recovery counters.
 * Usage: DATABASE_URL=postgres://… npm run bench:faults [-- --seconds=60 --rate=4 --base=4800]
 *        npm run bench:faults -- --private-pg=23432   (its own cluster, restarted as a fault)
 * `--only=kill_router,pg_restart` limits the fault kinds; `--fault-every-ms=4000`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiKey, createDb, getSenderByName } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import { mxTransport, out, repoRoot, sleep, until, writeRelayConfig } from './smtp-koukan.ts';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const seconds = Number(arg('seconds', '60'));
/** concurrent clients of each kind (REST, SMTP) */
const rate = Number(arg('rate', '4'));
const base = Number(arg('base', '4800'));
/**
 * `--private-pg=<port>`: a PostgreSQL cluster of its own (`pg_createcluster`, trust auth on
 * loopback, needs root or the postgres user), restarted as a fault and dropped at the end, so
 * that the database can be stopped without disturbing anyone else on the server.
 */
const privatePort = arg('private-pg', '');
const privateCluster = privatePort
  ? [
      readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))[0]!,
      `koukan_faults_${privatePort}`,
    ]
  : undefined;
const pgCluster = privateCluster ? privateCluster.join('/') : arg('pg-restart', '');
const faultEveryMs = Number(arg('fault-every-ms', '4000'));
const DOMAIN = 'faults.test';
const TOKEN = randomBytes(24).toString('base64url');
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

const run = (cmd: string, args: string[]) => promisify(execFile)(cmd, args);
const dropPrivate = () =>
  privateCluster
    ? run('pg_dropcluster', ['--stop', ...privateCluster]).catch((err: Error) =>
        out(`(dropping the private cluster failed: ${err.message})`),
      )
    : undefined;
if (privateCluster) {
  await run('pg_createcluster', [...privateCluster, '-p', privatePort, '--', '--auth=trust']);
  await run('pg_ctlcluster', [...privateCluster, 'start']);
  process.env.DATABASE_URL = `postgres://postgres@127.0.0.1:${privatePort}/postgres`;
  out(`private PostgreSQL cluster ${pgCluster} on port ${privatePort}`);
}
if (!process.env.DATABASE_URL) throw new Error('bench:faults runs on DATABASE_URL; set it');

const ports = {
  routers: [base, base + 1, base + 2],
  gateways: [base + 10, base + 11],
  mx: [base + 20, base + 21],
  routerLb: base + 30,
  gatewayLb: base + 31,
  mxLb: base + 32,
  sink: base + 40,
};

/** A TCP load balancer: each new connection to the next backend that accepts it. */
function proxy(port: number, backends: number[]) {
  let next = 0;
  const server = net.createServer((client) => {
    client.pause();
    client.on('error', () => {});
    const tryBackend = (left: number) => {
      const upstream = net.connect(backends[next++ % backends.length]!, '127.0.0.1');
      upstream.once('error', () => {
        if (left > 1) tryBackend(left - 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryBackend(backends.length);
  });
  server.listen(port, '127.0.0.1');
  return server;
}

const dir = mkdtempSync(join(tmpdir(), 'koukan-faults-'));
// interrupted: the processes this harness started go with it
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of procs.values()) child.kill('SIGKILL');
    sink?.kill('SIGKILL');
    void Promise.resolve(dropPrivate()).finally(() => process.exit(1));
  });
}
const sinkLog = join(dir, 'sink.log');
writeFileSync(sinkLog, '');
const db = await createTestDatabase({ migrate: false });
const procs = new Map<string, ChildProcess>();
const faults: string[] = [];
const crashes: string[] = [];
let finishing = false;
let sink: ChildProcess | undefined;

function spawnNode(name: string, entry: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.set(name, child);
  child.once('exit', (code, signal) => {
    if (signal === 'SIGKILL' || procs.get(name) !== child || finishing) return;
    // not one of ours: a crash. Started again, as `koukan start` or an orchestrator would.
    crashes.push(`${name} ${code ?? signal}`);
    out(`(${name} exited by itself: ${code ?? signal}; starting it again)`);
    setTimeout(() => {
      if (!finishing) spawnNode(name, entry, env, args);
    }, 1000);
  });
  return child;
}

const routerEnv = (i: number): NodeJS.ProcessEnv => ({
  DATABASE_URL: db.url,
  KOUKAN_ROUTER_PORT: String(ports.routers[i]),
  KOUKAN_SECRET_GATEWAY: TOKEN,
  KOUKAN_ENGINE_LEASE_MS: '5000',
  KOUKAN_ENGINE_ATTEMPT_TIMEOUT_MS: '15000',
  KOUKAN_SHUTDOWN_GRACE_MS: '2000',
  // what a gateway killed mid-DATA leaves (never acknowledged) is failed soon, not after 24 h
  KOUKAN_BODY_TIMEOUT_MS: '20000',
  KOUKAN_HEARTBEAT_TIMEOUT_MS: '20000',
  KOUKAN_RETENTION_INTERVAL_MS: '2000',
});
let mxKey = '';
const gatewayEnv = (i: number): NodeJS.ProcessEnv => ({
  KOUKAN_GATEWAY_PORT: String(ports.gateways[i]),
  KOUKAN_GATEWAY_TOKEN: TOKEN,
  KOUKAN_GATEWAY_ADVERTISE_URL: 'auto',
  KOUKAN_ROUTER_URL: `http://127.0.0.1:${ports.routerLb}`,
  KOUKAN_SMTP_MX_PORT: String(ports.mx[i]),
  KOUKAN_SMTP_MSA_PORT: 'off',
  KOUKAN_SMTP_MX_API_KEY: mxKey,
  KOUKAN_SMTP_GREET_PAUSE_MS: '0',
  KOUKAN_SMTP_MAX_CLIENTS_PER_IP: '500',
  KOUKAN_ROUTER_TIMEOUT_MS: '10000',
  KOUKAN_SHUTDOWN_GRACE_MS: '2000',
});
const start = {
  router: (i: number) => spawnNode(`router${i}`, 'apps/router/src/main.ts', routerEnv(i)),
  gateway: (i: number) => spawnNode(`gateway${i}`, 'apps/gateway/src/main.ts', gatewayEnv(i)),
};
/** Waits (up to 5 min) until the process on `port` answers /readyz with 200. */
const ready = (port: number) =>
  until(
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      ),
    300_000,
    `${port} to be ready`,
    200,
  );
/** Adds one to `key`'s count in `counts`. */
const count = (counts: Map<string, number>, key: string) =>
  counts.set(key, (counts.get(key) ?? 0) + 1);

// ------------------------------------------------------------------ setup
const configFile = writeRelayConfig({
  dir,
  ports: { gateway: ports.gatewayLb, sink: ports.sink },
  domain: DOMAIN,
  msa: true,
  retry: { schedule: ['1s', '2s', '4s'], max_age: '1h' },
  restOutput: { response_timeout: 60, poll_timeout: 5 },
  // store-and-forward: 250 once stored, delivered by the engine
  storeAndForward: true,
});

const pg = createDb({ url: db.url, poolSize: 2 });
const counters = {
  restAck: 0,
  smtpAck: 0,
  restRefused: 0,
  smtpRefused: 0,
  restWhileDown: 0,
  smtpWhileDown: 0,
};
const acked = new Set<string>();
/** fault id → the router's transaction id (REST) */
const txnOf = new Map<string, string>();
const refusals = new Map<string, number>();
/** answers to requests sent and answered within one PostgreSQL outage that were not 503/4xx */
const downViolations: string[] = [];
try {
  // migrations and the configuration, as a deployment's init step imports them
  const { KOUKAN_SEED_API_KEY: _s, ...clean } = process.env;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'init'], {
    cwd: repoRoot,
    env: { ...clean, DATABASE_URL: db.url, KOUKAN_CONFIG: configFile },
  });
  const senderId = async (name: string) => (await getSenderByName(pg.db, name))!.id;
  mxKey = (
    await createApiKey(pg.db, {
      senderId: await senderId('smtp-mx'),
      name: 'faults',
      gateway: true,
    })
  ).key;
  const restKey = (
    await createApiKey(pg.db, { senderId: await senderId('submission'), name: 'faults' })
  ).key;

  sink = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/fault-sink.ts', String(ports.sink), sinkLog],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  sink.once('exit', (code, signal) => {
    if (!finishing) crashes.push(`sink ${code ?? signal}`);
  });
  const proxies = [
    proxy(ports.routerLb, ports.routers),
    proxy(ports.gatewayLb, ports.gateways),
    proxy(ports.mxLb, ports.mx),
  ];
  for (const i of ports.routers.keys()) start.router(i);
  for (const p of ports.routers) await ready(p);
  for (const i of ports.gateways.keys()) start.gateway(i);
  for (const p of ports.gateways) await ready(p);
  out(
    `${seconds} s of load, ${rate} REST + ${rate} SMTP clients, a fault every ~${faultEveryMs} ms` +
      (pgCluster ? `, PostgreSQL restarts (${pgCluster})` : ''),
  );

  // ------------------------------------------------------------------ load
  let loading = true;
  // which outage is under way (undefined: the database is up)
  let outage = 0;
  let pgDown = false;
  const downEpoch = () => (pgDown ? outage : undefined);
  let seq = 0;
  const message = (id: string, to: string) =>
    `From: load@example.com\r\nTo: ${to}\r\nSubject: ${id}\r\nX-Fault-Id: ${id}\r\nMessage-ID: <${id}@example.com>\r\n\r\nmessage ${id}\r\n`;
  async function restClient() {
    while (loading) {
      const id = `r${seq++}-${randomBytes(3).toString('hex')}`;
      const to = `rest@${DOMAIN}`;
      const down = downEpoch();
      const res = await fetch(
        `http://127.0.0.1:${ports.routerLb}/v1/senders/submission/transactions`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${restKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            mail_from: { m: 'load@example.com' },
            rcpt_to: [{ m: to }],
            body: { inline: message(id, to) },
          }),
          signal: AbortSignal.timeout(30_000),
        },
      ).catch(() => undefined);
      const wholeDown = down !== undefined && down === downEpoch();
      if (wholeDown && res) {
        counters.restWhileDown++;
        if (res.status !== 503) downViolations.push(`REST ${res.status}`);
      }
      if (res?.status === 201) {
        acked.add(id);
        counters.restAck++;
        txnOf.set(id, ((await res.json()) as { id: string }).id);
      } else {
        counters.restRefused++;
        count(refusals, `REST ${res?.status ?? 'error'}`);
        await sleep(100);
      }
    }
  }
  async function smtpClient() {
    while (loading) {
      const id = `s${seq++}-${randomBytes(3).toString('hex')}`;
      const to = `smtp@${DOMAIN}`;
      const down = downEpoch();
      const t = mxTransport(ports.mxLb, { connectionTimeout: 10_000, socketTimeout: 30_000 });
      const code = await t
        .sendMail({ envelope: { from: 'load@example.com', to: [to] }, raw: message(id, to) })
        .then(
          () => 250,
          (err: { responseCode?: number; response?: string; code?: string }) => {
            count(
              refusals,
              `SMTP ${err.responseCode ?? err.code} ${err.response?.slice(4, 40) ?? ''}`,
            );
            return err.responseCode;
          },
        );
      t.close();
      const ok = code === 250;
      if (down !== undefined && down === downEpoch() && code !== undefined) {
        counters.smtpWhileDown++;
        if (code < 400 || code >= 500) downViolations.push(`SMTP ${code}`);
      }
      if (ok) {
        acked.add(id);
        counters.smtpAck++;
      } else {
        counters.smtpRefused++;
        await sleep(100);
      }
    }
  }
  const clients = [
    ...Array.from({ length: rate }, restClient),
    ...Array.from({ length: rate }, smtpClient),
  ];

  // ------------------------------------------------------------------ faults
  const only = arg('only', '').split(',').filter(Boolean);
  const kinds = ['kill_router', 'kill_gateway', 'freeze_sink', 'drop_after_data']
    .concat(pgCluster ? ['pg_restart'] : [])
    .filter((k) => only.length === 0 || only.includes(k));
  const endAt = Date.now() + seconds * 1000;
  while (Date.now() < endAt) {
    await sleep(faultEveryMs / 2 + Math.random() * faultEveryMs);
    const kind = pick(kinds);
    faults.push(kind);
    if (kind === 'kill_router' || kind === 'kill_gateway') {
      const which = kind === 'kill_router' ? 'router' : 'gateway';
      const i = Math.floor(Math.random() * ports[`${which}s`].length);
      procs.get(`${which}${i}`)?.kill('SIGKILL');
      await sleep(1000);
      start[which](i);
    } else if (kind === 'freeze_sink') {
      sink.kill('SIGSTOP');
      await sleep(3000);
      sink.kill('SIGCONT');
    } else if (kind === 'drop_after_data') {
      sink.kill('SIGUSR1');
      await sleep(2000);
      sink.kill('SIGUSR1');
    } else if (kind === 'pg_restart') {
      const [version, cluster] = pgCluster.split('/');
      const ctl = (action: string, ...more: string[]) =>
        promisify(execFile)('pg_ctlcluster', [version!, cluster!, action, ...more]);
      await ctl('stop', '-m', 'immediate');
      outage++;
      pgDown = true;
      await sleep(5000);
      pgDown = false;
      await ctl('start');
    }
  }
  loading = false;
  await Promise.all(clients);

  // ------------------------------------------------------------------ drain and count
  for (const [i] of ports.routers.entries())
    if (procs.get(`router${i}`)?.exitCode !== null) start.router(i);
  for (const p of [...ports.routers, ...ports.gateways]) await ready(p);
  const open = async () =>
    (
      await pg.pool.query<{ n: number }>(
        `select count(*)::int as n from transactions where status not in ('delivered','failed','cancelled')`,
      )
    ).rows[0]!.n;
  const drainStart = Date.now();
  const ended = () =>
    open().then(
      (n) => n === 0,
      () => false,
    );
  await until(ended, 300_000, 'every transaction to end', 200).catch(async (err: Error) => {
    const left = await pg.pool.query(
      `select status, next_attempt_at is not null as due, count(*)::int as n from transactions
          where status not in ('delivered','failed','cancelled') group by 1, 2`,
    );
    out(`(${err.message} after ${Date.now() - drainStart} ms: ${JSON.stringify(left.rows)})`);
  });
  out(`drained in ${Date.now() - drainStart} ms`);
  const seen = new Map<string, number>();
  const dropped = new Map<string, number>();
  for (const line of readFileSync(sinkLog, 'utf8').split('\n').filter(Boolean)) {
    const [id, mark] = line.split(' ') as [string, string?];
    count(seen, id);
    if (mark === 'dropped') count(dropped, id);
  }
  const lost = [...acked].filter((id) => !seen.has(id));
  // Each delivery whose answer the sink withheld explains one resend (SMTP's own window,
  // RFC 1047); any other extra copy is Koukan's doing.
  let smtpDuplicates = 0;
  let koukanDuplicates = 0;
  const koukanIds: string[] = [];
  for (const [id, n] of seen) {
    if (id === 'none') continue;
    const inherent = Math.min(n - 1, dropped.get(id) ?? 0);
    smtpDuplicates += inherent;
    koukanDuplicates += n - 1 - inherent;
    if (n - 1 > inherent) koukanIds.push(id);
  }
  const duplicates = smtpDuplicates + koukanDuplicates;
  const unackedDelivered = [...seen.keys()].filter((id) => id !== 'none' && !acked.has(id)).length;
  const q = async (sql: string) => (await pg.pool.query<{ n: number }>(sql)).rows[0]!.n;
  const stuck = await q(
    `select count(*)::int as n from transactions
      where status not in ('delivered','failed','cancelled','held')
        and next_attempt_at is null
        and (lease_expires_at is null or lease_expires_at < now())
        and final_attempt_reason is null and body_blob_id is not null`,
  );
  const failed = await q(`select count(*)::int as n from transactions where status = 'failed'`);
  const event = (type: string) => q(`select count(*)::int as n from events where type = '${type}'`);
  const tally = new Map<string, number>();
  for (const k of faults) count(tally, k);
  const byKind = [...tally].map(([k, n]) => `${k} ${n}`).join(', ');
  out('');
  out(`faults: ${byKind}`);
  out(
    `acknowledged: ${acked.size} (REST 201: ${counters.restAck}, SMTP 250: ${counters.smtpAck}); refused or failed: REST ${counters.restRefused}, SMTP ${counters.smtpRefused}`,
  );
  out(`delivered: ${acked.size - lost.length}`);
  out(`lost: ${lost.length}${lost.length ? ` (${lost.slice(0, 10).join(' ')})` : ''}`);
  const pct = (n: number) => `${((100 * n) / Math.max(1, seen.size)).toFixed(2)}%`;
  out(`duplicates: ${duplicates} (${pct(duplicates)} of distinct messages at the sink)`);
  out(
    `  caused by the sink dropping the connection after DATA (SMTP's window, RFC 1047): ${smtpDuplicates} (${pct(smtpDuplicates)})`,
  );
  out(
    `  caused by Koukan (router/gateway kills, database restarts): ${koukanDuplicates} (${pct(koukanDuplicates)})${koukanIds.length ? ` ${koukanIds.slice(0, 10).join(' ')}` : ''}`,
  );
  out(`delivered without acknowledgement (allowed): ${unackedDelivered}`);
  out(`transactions without next attempt or final reason: ${stuck}; failed for good: ${failed}`);
  out(
    `rest_output recovery: adopted ${await event('upstream_adopted')}, accepted recovered ${await event('upstream_accepted_recovered')}, possible duplicates ${await event('upstream_possible_duplicate')}; attempts taken over after their lease expired (killed router, database outage): ${await event('attempt_abandoned')}`,
  );
  out(
    `refusals: ${[...refusals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${k.trim()} ×${n}`)
      .join('; ')}`,
  );
  // what happened to the transactions Koukan delivered twice (REST ones: their id is known)
  for (const id of koukanIds.slice(0, 5)) {
    const txn = txnOf.get(id);
    if (!txn) continue;
    const { rows } = await pg.pool.query<{ type: string; data: Record<string, unknown> }>(
      `select type, data from events where transaction_id = $1 order by id`,
      [txn],
    );
    out(
      `  ${id} (${txn}): ${rows.map((r) => `${r.type}${r.data.url ? `@${String(r.data.url).split('/')[2]}` : ''}${r.data.number ? `#${r.data.number}` : ''}`).join(' → ')}`,
    );
  }
  out(`components that exited by themselves: ${crashes.length ? crashes.join(', ') : 'none'}`);
  if (pgCluster)
    out(
      `while PostgreSQL was down: ${counters.restWhileDown} REST and ${counters.smtpWhileDown} SMTP answers, of which not 503/4xx: ${downViolations.length} (must be 0)${downViolations.length ? ` ${downViolations.slice(0, 10).join(', ')}` : ''}`,
    );
  process.exitCode =
    lost.length === 0 && stuck === 0 && downViolations.length === 0 && crashes.length === 0 ? 0 : 1;
  for (const p of proxies) p.close();
} finally {
  finishing = true;
  for (const child of procs.values()) if (child.exitCode === null) child.kill('SIGKILL');
  if (sink) {
    sink.kill('SIGCONT');
    sink.kill('SIGKILL');
  }
  await pg.close();
  await db.destroy().catch(() => {});
  await dropPrivate();
  rmSync(dir, { recursive: true, force: true });
  process.exit();
}
