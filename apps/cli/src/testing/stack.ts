import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb } from '@koukan/db';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect } from 'vitest';
import { RawSmtp } from '../../../gateway/src/testing/raw-smtp.ts';
import { Sink } from '../../../gateway/src/testing/sink.ts';

/**
 * Test helpers: the whole stack as `npm start` runs it (`koukan start`: router with its engine
 * and the exploder, gateway), and a real SMTP server standing in for the next hop, on loopback.
 */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const cliMain = 'apps/cli/src/main.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The environment without the variables a test must choose itself. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _d, KOUKAN_CONFIG: _c, KOUKAN_SEED_API_KEY: _s, ...env } = process.env;
  return env;
}

/**
 * The next hop (the gateway's test Sink; `start()` it): refuses `refused@…` at RCPT, keeps
 * everything else. With `lmtp`, speaks LMTP.
 */
export const nextHop = (options: { lmtp?: boolean } = {}) =>
  new Sink({
    ...options,
    rcpt: (to) => (to.startsWith('refused@') ? '550 5.1.1 no such user' : undefined),
  });

/** `node --import tsx <args>` in the repository, on `env`. */
export function spawnTsx(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, env });
  let output = '';
  const keep = (d: Buffer) => {
    output += d;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    /** Everything it printed so far (its own and its children's stdout and stderr). */
    output: () => output,
    /** Resolves with its exit code. */
    exited,
    /** Sends `signal` (default SIGTERM; not once exited); resolves with the exit code. */
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `koukan start` (see spawnTsx: child, output, exited, stop). */
export interface Stack extends ReturnType<typeof spawnTsx> {
  ports: { router: number; gateway: number; mx: number; msa: number };
  /**
   * The readiness probes of the router and the gateway, asked once, the moment "Koukan is
   * running" appeared (HTTP status, or 0 when nothing answered).
   */
  atBanner: Promise<{ router: number; gateway: number }>;
  /** Runs another `koukan` command against the same database; resolves with its stdout. */
  cli(args: string[]): Promise<string>;
  /**
   * The stack's database URL with its credentials: DATABASE_URL, or the embedded database's
   * announcement file (0600; the banner masks the password).
   */
  databaseUrl(): string;
  /** Runs `sql` on the stack's database, on a connection of its own; resolves with the rows. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * `koukan start` on free ports, relaying through `smarthost` (KOUKAN_SMARTHOST), ready when the
 * router answers /readyz and the MSA greets (with `KOUKAN_COMPONENTS: 'none'`: when it prints
 * its banner). `env` adds to or overrides the defaults: with `DATABASE_URL` it runs on that
 * database, else on an embedded one in `KOUKAN_DATA_DIR`.
 */
export async function startStack(options: {
  smarthost?: number;
  env: Record<string, string>;
  /** How long to wait for readiness (default 10 min: a loaded machine is slow to start). */
  readyTimeoutMs?: number;
}): Promise<Stack> {
  const ports = {
    router: await freePort(),
    gateway: await freePort(),
    mx: await freePort(),
    msa: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    KOUKAN_EMBEDDED_DB_PORT: '0',
    KOUKAN_ROUTER_PORT: String(ports.router),
    KOUKAN_GATEWAY_PORT: String(ports.gateway),
    KOUKAN_SMTP_MX_PORT: String(ports.mx),
    KOUKAN_SMTP_MSA_PORT: String(ports.msa),
    ...(options.smarthost && { KOUKAN_SMARTHOST: `127.0.0.1:${options.smarthost}` }),
    // The console (a Next.js build and a fixed port) is not part of these tests' stack.
    KOUKAN_COMPONENTS: 'router,gateway',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const proc = spawnTsx([cliMain, 'start'], env);
  let bannerSeen: (probes: Promise<{ router: number; gateway: number }>) => void = () => {};
  const atBanner = new Promise<{ router: number; gateway: number }>((resolve) => {
    bannerSeen = (probes) => void probes.then(resolve);
  });
  const probe = (port: number) =>
    fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
  let banner = false;
  proc.child.stdout.on('data', () => {
    if (!banner && proc.output().includes('Koukan is running')) {
      banner = true;
      bannerSeen(
        Promise.all([probe(ports.router), probe(ports.gateway)]).then(([router, gateway]) => ({
          router,
          gateway,
        })),
      );
    }
  });
  const run = promisify(execFile);
  const stack: Stack = {
    ...proc,
    ports,
    atBanner,
    // The CLI finds the running stack's database through DATABASE_URL or the data dir.
    cli: async (args) =>
      (
        await run(process.execPath, ['--import', 'tsx', cliMain, ...args], { cwd: repoRoot, env })
      ).stdout.trim(),
    databaseUrl: () =>
      env.DATABASE_URL ??
      (
        JSON.parse(
          readFileSync(join(dirname(resolve(env.KOUKAN_DATA_DIR ?? '')), 'embedded.json'), 'utf8'),
        ) as { url: string }
      ).url,
    query: async (sql, params) => {
      const db = createDb({ url: stack.databaseUrl(), poolSize: 1 });
      try {
        return (await db.pool.query(sql, params)).rows;
      } finally {
        await db.close();
      }
    },
  };
  // Ready when the router answers /readyz and the MSA greets (expect.poll is for tests only).
  const deadline = Date.now() + (options.readyTimeoutMs ?? 600_000);
  const ready = async () => {
    if (env.KOUKAN_COMPONENTS === 'none') return banner;
    const router = await fetch(`http://127.0.0.1:${ports.router}/readyz`).catch(() => null);
    const msa = nodemailer.createTransport({
      host: '127.0.0.1',
      port: ports.msa,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    const greets = await msa.verify().then(
      () => true,
      (e: { code?: string }) => e.code === 'EAUTH' || e.code === 'ENOAUTH',
    );
    return Boolean(router?.ok && greets);
  };
  for (;;) {
    if (await ready()) return stack;
    if (Date.now() > deadline || proc.child.exitCode !== null) {
      await stack.stop();
      throw new Error(`the stack did not come up:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * For the tests of one `describe`: the next hop `sink` and the stack relaying to it, started
 * before them and stopped after them. With `db` the stack runs on a database of the test's own
 * (DATABASE_URL's server, or embedded in this process), which outlives the stack; else on the
 * embedded one in `KOUKAN_DATA_DIR`, a temporary folder (`dir`, removed afterwards). `env` adds
 * to the stack's environment; as a function it may prepare files in `dir` first.
 */
export function stackSuite(
  env:
    | Record<string, string>
    | ((s: { sink: Sink; dir: string }) => Promise<Record<string, string>>),
  options: { db?: boolean } = {},
) {
  const sink = nextHop();
  const stack = {} as Stack;
  const db = {} as TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'koukan-stack-'));
  beforeAll(async () => {
    await sink.start();
    if (options.db) Object.assign(db, await createTestDatabase({ migrate: false }));
    const where: Record<string, string> = options.db
      ? { DATABASE_URL: db.url }
      : { KOUKAN_DATA_DIR: join(dir, 'data') };
    const extra = typeof env === 'function' ? await env({ sink, dir }) : env;
    Object.assign(stack, await startStack({ smarthost: sink.port, env: { ...where, ...extra } }));
  }, 630_000);
  afterAll(async () => {
    await stack.stop?.();
    if (sink.port) await sink.close();
    await db.destroy?.();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sink, stack, db, dir };
}

/** A session on the MSA at `port`, under TLS, after AUTH PLAIN as `user`: its replies to the
 * first EHLO and to AUTH. */
export async function msaSession(port: number, user: string, key: string) {
  const c = await RawSmtp.open(port);
  expect(await c.reply()).toMatch(/^220 /);
  const ehlo = await c.cmd('EHLO client.example.com');
  expect(await c.starttls()).toMatch(/^220 /);
  await c.cmd('EHLO client.example.com');
  const auth = await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${key}`).toString('base64')}`);
  return { c, ehlo, auth };
}

/** POSTs a transaction of `sender` to the stack's router with API key `key`. */
export function postTransaction(stack: Stack, key: string, json: unknown, sender = 'submission') {
  return fetch(`http://127.0.0.1:${stack.ports.router}/v1/senders/${sender}/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
}
