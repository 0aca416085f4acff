import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export interface RouterProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real router (`apps/router/src/main.ts`, its own process, its own LISTEN connection) on an
 * ephemeral port against `databaseUrl`, API only (no delivery engine). Resolves once it
 * announces its address; rejects if it exits first.
 */
export function startRouterProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RouterProcess> {
  const { DATABASE_URL: _d, KOUKAN_CONFIG: _c, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/router/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...inherited,
      DATABASE_URL: databaseUrl,
      KOUKAN_ROUTER_HOST: '127.0.0.1',
      KOUKAN_ROUTER_PORT: '0',
      KOUKAN_ENGINE: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /"address":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"router listening"/.exec(
        output,
      );
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (more: Buffer) => {
          output += more;
        });
        resolve({ url: m[1]!, child, output: () => output, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      output += d;
    });
    child.once('exit', (code) =>
      reject(new Error(`router exited (${code}) before listening:\n${output}`)),
    );
  });
}
