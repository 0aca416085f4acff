import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const artifactsDir = join(repoRoot, 'e2e/artifacts');
export const logsDir = join(artifactsDir, 'logs');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The environment without any Koukan variable of the caller's (each process gets its own). */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('KOUKAN_') || k.startsWith('RECEIVER_')) continue;
    if (['DATABASE_URL', 'LOG_LEVEL', 'BETTER_AUTH_SECRET', 'NODE_ENV', 'E2E_STACK'].includes(k))
      continue;
    env[k] = v;
  }
  return env;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Everything it printed (stdout and stderr), also in artifacts/logs/<name>.log. */
  output(): string;
  stop(graceMs?: number): Promise<void>;
}

/** `node --import tsx <script> …args` from the repository root, its output logged to a file. */
export function spawnNode(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  onStdoutLine?: (line: string) => void,
): Proc {
  mkdirSync(logsDir, { recursive: true });
  const log = createWriteStream(join(logsDir, `${name}.log`));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d;
    log.write(d);
    if (!onStdoutLine) return;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onStdoutLine(line);
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d;
    log.write(d);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      log.end(`\n[e2e] ${name} exited: code ${code}, signal ${signal}\n`);
      resolve(code);
    }),
  );
  return {
    name,
    child,
    exited,
    output: () => output,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to its end; rejects with its output when it fails. */
export async function runNode(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const proc = spawnNode(name, script, args, env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${proc.output()}`);
  return proc.output();
}

/**
 * Waits until `url` answers 2xx (setup, not a test: a plain poll with a deadline). Fails at once
 * when the process behind it exits.
 */
export async function waitReady(url: string, proc: Proc | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
    if (res?.ok) return;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(
        `${proc.name} exited before ${url} was ready:\n${proc.output().slice(-4000)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} not ready after ${timeoutMs} ms:\n${proc?.output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
