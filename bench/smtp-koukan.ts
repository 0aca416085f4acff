import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

/**
 * Koukan's side of the SMTP benchmarks (`bench/smtp.ts`, `bench/smtp-latency.ts`): the relay
 * configuration (`smtp-mx` accepts `domain` and explodes into `smtp-mx-output`, whose chain
 * relays through the gateway to `127.0.0.1:sinkPort`) and `koukan start` (router and gateway
 * only) on it.
 */
interface KoukanPorts {
  router: number;
  gateway: number;
  mx: number;
  msa: number;
  sink: number;
}

export const repoRoot = new URL('../', import.meta.url).pathname;

/**
 * The relay configuration: `smtp-mx` accepts `domain` and explodes into `smtp-mx-output`, whose
 * chain relays through the gateway to `127.0.0.1:sink`; with `msa`, `smtp-msa` explodes into
 * `smtp-msa-output` on the same relay. `retry` is the relaying senders' retry schedule,
 * `restOutput` adds to the `rest_output` filter, and `storeAndForward` makes the MX answer 250
 * once the message is stored (delivered by the engine) rather than once it is relayed.
 * Written to `dir`/koukan.json; returns the file.
 */
export function writeRelayConfig(options: {
  dir: string;
  ports: Pick<KoukanPorts, 'gateway' | 'sink'>;
  domain: string;
  msa: boolean;
  retry?: { schedule: string[]; max_age: string };
  restOutput?: Record<string, unknown>;
  storeAndForward?: boolean;
}): string {
  const { ports, domain, msa, retry } = options;
  const relay = [
    { filter: 'router', policies: [{ type: 'smarthost', smarthost: `127.0.0.1:${ports.sink}` }] },
    {
      filter: 'rest_output',
      url: `http://127.0.0.1:${ports.gateway}`,
      sender: 'outbound',
      api_key_ref: 'gateway',
      ...options.restOutput,
    },
  ];
  const msaChain = [{ filter: 'exploder', output_chain: 'smtp-msa-output', msa: true }];
  const config = {
    sender: [
      { name: 'smtp-mx', output_chain: 'smtp-mx' },
      { name: 'smtp-mx-output', output_chain: 'relay', retry },
      ...(msa
        ? [
            { name: 'smtp-msa', output_chain: 'smtp-msa' },
            { name: 'smtp-msa-output', output_chain: 'relay', retry },
          ]
        : []),
      { name: 'submission', output_chain: 'relay', retry },
      { name: 'sandbox', output_chain: 'relay', retry },
    ],
    chain: [
      {
        name: 'smtp-mx',
        filters: [
          {
            filter: 'router',
            policies: [{ type: 'address_list', domains: [domain] }],
            reject: { code: 550, enhanced: '5.7.1', message: 'relaying denied' },
          },
          {
            filter: 'exploder',
            output_chain: 'smtp-mx-output',
            msa: options.storeAndForward ?? false,
          },
        ],
      },
      ...(msa ? [{ name: 'smtp-msa', filters: msaChain }] : []),
      { name: 'relay', filters: relay },
    ],
  };
  const file = join(options.dir, 'koukan.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The environment of `koukan start`: router and gateway only, the relay configuration. */
export function koukanEnv(options: {
  dir: string;
  databaseUrl: string;
  ports: KoukanPorts;
  domain: string;
  sessions: number;
}): NodeJS.ProcessEnv {
  const { ports } = options;
  const file = writeRelayConfig({ ...options, msa: true });
  const { KOUKAN_SEED_API_KEY: _s, ...rest } = process.env;
  return {
    ...rest,
    DATABASE_URL: options.databaseUrl,
    KOUKAN_CONFIG: file,
    KOUKAN_COMPONENTS: 'router,gateway',
    KOUKAN_ROUTER_PORT: String(ports.router),
    KOUKAN_GATEWAY_PORT: String(ports.gateway),
    KOUKAN_SMTP_MX_PORT: String(ports.mx),
    KOUKAN_SMTP_MSA_PORT: String(ports.msa),
    KOUKAN_SMTP_MAX_CLIENTS_PER_IP: String(Math.max(100, options.sessions * 2)),
    // The reference Postfix has no greeting pause (no postscreen): neither does Koukan here.
    KOUKAN_SMTP_GREET_PAUSE_MS: process.env.KOUKAN_SMTP_GREET_PAUSE_MS ?? '0',
    // nor a bound on the transactions of one connection (smtp-source -d reuses one for all)
    KOUKAN_SMTP_MAX_TRANSACTIONS_PER_CONNECTION: '1000000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
}

/** `koukan start` on `env`; resolves once router and gateway answer. */
export async function startKoukan(env: NodeJS.ProcessEnv, ports: KoukanPorts) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/src/main.ts', 'start'],
    {
      cwd: repoRoot,
      env,
      // KOUKAN_BENCH_LOG=<file>: the components' logs (LOG_LEVEL) go there
      stdio: [
        'ignore',
        process.env.KOUKAN_BENCH_LOG ? openSync(process.env.KOUKAN_BENCH_LOG, 'w') : 'ignore',
        'inherit',
      ],
    },
  );
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`koukan start exited ${child.exitCode}`);
    const r = await fetch(`http://127.0.0.1:${ports.router}/readyz`).catch(() => null);
    const gw = await fetch(`http://127.0.0.1:${ports.gateway}/readyz`).catch(() => null);
    return Boolean(r?.ok && gw?.ok);
  }, 600_000).catch((err: unknown) => {
    child.kill('SIGTERM'); // it stops its components
    throw err;
  });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** nodemailer's options for a pool of `sessions` connections, each reused for every message. */
export const pooled = (sessions: number) => ({
  pool: true,
  maxConnections: sessions,
  maxMessages: Number.POSITIVE_INFINITY,
});

/** nodemailer to the MX at `port`: no TLS, no AUTH (as smtp-source); `more` adds to it. */
export function mxTransport(
  port: number,
  more: ReturnType<typeof pooled> | { connectionTimeout?: number; socketTimeout?: number } = {},
) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...more,
  });
}

/** nodemailer to the MSA at `port`: STARTTLS required, AUTH as `smtp-msa` with `key`. */
export function msaTransport(
  port: number,
  key: string,
  pool: { pool?: boolean; maxConnections?: number; maxMessages?: number } = {},
) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'smtp-msa', pass: key },
    ...pool,
  });
}

export const out = (line: string) => process.stdout.write(`${line}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every `everyMs` until it holds; throws (naming `what`) after `timeoutMs`. */
export async function until(
  ok: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'the condition',
  everyMs = 20,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Lines of 78 bytes filling about `bytes` bytes (at least one line): a message body. */
export function filler(bytes: number): string {
  const line = `${'x'.repeat(76)}\r\n`;
  return line.repeat(Math.max(1, Math.round(bytes / line.length)));
}

/**
 * `read(pid)` of each process under `root` that runs a component (`router`, `gateway outbound`…),
 * by name, in tree order; a process gone meanwhile (or read as undefined) is left out.
 */
export function perComponent<T>(root: number, read: (pid: number) => T | undefined): [string, T][] {
  const children = new Map<number, number[]>();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {
      // gone
    }
  }
  const result: [string, T][] = [];
  const walk = (pid: number) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const name = /apps\/(\w+)\/src\/main\.ts(?: (\w+))?/.exec(cmd);
      const value = name ? read(pid) : undefined;
      if (name && value !== undefined)
        result.push([name[2] ? `${name[1]} ${name[2]}` : name[1]!, value]);
    } catch {
      // gone
    }
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return result;
}

/** CPU seconds (user + system) used so far by each process under `root` (by component), by name. */
export function cpuSeconds(root: number): Map<string, number> {
  return new Map(perComponent(root, processCpu));
}

/** CPU seconds (user + system) of one process (clock ticks of 1/100 s). */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU seconds the whole machine spent busy (all processes, kernel included: /proc/stat), for
 * the figures no process list can give whole (PostgreSQL backends that a pool replaced during
 * the run took their CPU time with them).
 */
export function machineCpu(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/**
 * CPU seconds of the PostgreSQL backends serving `database` now (same host only); a backend
 * that exited since (the pool replaces connections every 60 s) is not counted: read it over
 * short runs only, or use `machineCpu`.
 */
export async function databaseCpu(
  query: (sql: string, params: unknown[]) => Promise<{ rows: { pid: number }[] }>,
  database: string,
): Promise<number> {
  const { rows } = await query('select pid from pg_stat_activity where datname = $1', [database]);
  let sum = 0;
  for (const { pid } of rows) {
    try {
      sum += processCpu(pid);
    } catch {
      // another host, or gone
    }
  }
  return sum;
}
