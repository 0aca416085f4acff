import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness } from './harness.ts';
import type { StackInfo } from './info.ts';
import { repoRoot } from './process.ts';
import { startLmtp, startSink } from './sink.ts';

const run = promisify(execFile);
export const composeFiles = ['-f', 'compose.yaml', '-f', 'e2e/compose.e2e.yaml'];

function envFile(name: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(repoRoot, 'deploy/compose', name), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

/**
 * E2E_STACK=compose: `docker compose up --build --wait` of compose.yaml with e2e/compose.e2e.yaml
 * (the smarthost and the gateway's LMTP next hop on this host: the suite's sink and LMTP server
 * on E2E_SINK_PORT, 4525, and E2E_LMTP_PORT, 4524, bound to all interfaces so that containers
 * reach them). The published ports of compose.yaml are used; `docker compose down -v` at the end.
 */
export async function startComposeStack(): Promise<{ info: StackInfo; stop(): Promise<void> }> {
  const sinkPort = Number(process.env.E2E_SINK_PORT ?? 4525);
  const lmtpPort = Number(process.env.E2E_LMTP_PORT ?? 4524);
  const sink = await startSink(sinkPort, '0.0.0.0');
  const lmtp = await startLmtp(lmtpPort, '0.0.0.0');
  const compose = (args: string[]) =>
    run('docker', ['compose', ...composeFiles, ...args], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, E2E_SINK_PORT: String(sinkPort), E2E_LMTP_PORT: String(lmtpPort) },
    });
  const harness = await startHarness({
    sink,
    lmtp,
    receiverMessages: async () =>
      (await compose(['logs', '--no-log-prefix', 'receiver'])).stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as unknown),
  });
  const stop = async () => {
    await compose(['down', '-v']).catch(() => {});
    await Promise.all([sink.close(), lmtp.close()]);
    await new Promise<void>((r) => harness.server.close(() => r()));
  };
  try {
    await compose(['up', '--build', '--wait', '-d']);
    const consoleEnv = envFile('console.env');
    return {
      info: {
        mode: 'compose',
        routers: ['http://127.0.0.1:8000', 'http://127.0.0.1:8001'],
        smtp: { host: '127.0.0.1', mx: 25, msa: 587 },
        gatewayApi: 'http://gateway:8001',
        console: 'http://127.0.0.1:3000',
        harness: harness.url,
        apiKey: envFile('init.env').KOUKAN_SEED_API_KEY!,
        admin: {
          email: consoleEnv.KOUKAN_ADMIN_EMAIL!,
          password: consoleEnv.KOUKAN_ADMIN_PASSWORD!,
        },
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
