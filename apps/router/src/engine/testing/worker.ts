/**
 * One engine replica as its own process, for multi-process tests:
 *   node --import tsx worker.ts '{"databaseUrl":…,"receiverUrl":…,"name":"w1",…}'
 * Delivers with the HTTP runner, logs to stderr, prints `ready <instance id>` on stdout, and
 * stops gracefully on SIGTERM.
 */
import { createDb } from '@koukan/db';
import pino from 'pino';
import { startEngine } from '../engine.ts';
import { HttpRunner } from './http-runner.ts';

interface WorkerConfig {
  databaseUrl: string;
  receiverUrl: string;
  name: string;
  leaseMs?: number;
  concurrency?: number;
  pollIntervalMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const logger = pino({ level: 'error', base: { worker: config.name } }, pino.destination(2));
const handle = createDb({ url: config.databaseUrl, poolSize: 4 });
const engine = await startEngine({
  db: handle.db,
  pool: handle.pool,
  logger,
  runner: new HttpRunner(config.receiverUrl, config.name),
  dsn: { reportingMta: `${config.name}.koukan.test` },
  leaseMs: config.leaseMs ?? 3000,
  concurrency: config.concurrency ?? 4,
  pollIntervalMs: config.pollIntervalMs ?? 50,
  retention: false,
});
process.stdout.write(`ready ${engine.instanceId}\n`);

process.once('SIGTERM', async () => {
  await engine.stop({ deadlineMs: 2000 });
  await handle.close();
  process.exitCode = 0;
});
