/**
 * CPU per message of the inbound side alone (an MX listener and its router client), measured on
 * the listener's process only: a minimal router (create → 201 with the router's full view, body
 * PUT → 200 `{upload, transaction}` with the DATA reply) and a pooled nodemailer client run in
 * child processes, so neither counts. 1,000 messages warm up first.
 *
 *   node --import tsx apps/gateway/src/bench/inbound-cpu.ts [messages=4000] [sessions=20]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createTransport } from 'nodemailer';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { RouterClient } from '../router-client.ts';
import { SmtpListener } from '../smtp/listener.ts';
import { listenerConfig, testTls } from '../testing/inbound.ts';

const [role, a1, a2, a3] = process.argv.slice(2);
const WARM_UP = 1000;
const out = (line: unknown) => process.stdout.write(`${line}\n`);

function view(id: string, done: boolean) {
  const now = new Date().toISOString();
  return {
    id,
    sender: 'smtp-mx',
    status: done ? 'delivered' : 'awaiting_body',
    version: done ? 3 : 1,
    mail_from: { m: 'bench@source.example' },
    rcpt_to: [{ m: 'rcpt@bench.test' }],
    body: {
      status: done ? 'complete' : 'awaiting_upload',
      size: done ? 4096 : 0,
      expected_size: null,
    },
    mail_response: null,
    rcpt_response: [{ code: 250, enhanced: '2.1.5', message: 'ok' }],
    data_response: done ? { code: 250, enhanced: '2.6.0', message: 'OK' } : null,
    attempt_count: 0,
    final_attempt_reason: null,
    next_attempt_at: null,
    cancel_requested_at: null,
    heartbeat_at: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
}

async function router(): Promise<void> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      const json = { 'content-type': 'application/json' };
      if (req.method === 'POST' && req.url?.endsWith('/transactions')) {
        const id = `0193a1b2-c3d4-7e5f-8a9b-${String(++n).padStart(12, '0')}`;
        const location = `/v1/transactions/${id}`;
        res.writeHead(201, { ...json, etag: '"1"', location }).end(JSON.stringify(view(id, false)));
      } else if (req.method === 'PUT') {
        const id = req.url?.split('/')[3] ?? '';
        const body = { upload: { size: 4096, complete: true }, transaction: view(id, true) };
        res.writeHead(200, { ...json, etag: '"3"' }).end(JSON.stringify(body));
      } else res.writeHead(200, json).end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  out((server.address() as AddressInfo).port);
}

async function client(port: number, n: number, sessions: number): Promise<void> {
  const t = createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: sessions,
    maxMessages: Number.POSITIVE_INFINITY,
    ignoreTLS: true,
  });
  const filler = `${'x'.repeat(76)}\r\n`.repeat(51);
  const raw = (i: number) =>
    `From: bench@source.example\r\nTo: rcpt@bench.test\r\nSubject: bench ${i}\r\n\r\n${filler}`;
  const batch = async (count: number) => {
    let next = 0;
    const send = async () => {
      for (; next < count; ) {
        const i = next++;
        await t.sendMail({
          envelope: { from: 'bench@source.example', to: ['rcpt@bench.test'] },
          raw: raw(i),
        });
      }
    };
    await Promise.all(Array.from({ length: sessions }, send));
  };
  await batch(WARM_UP);
  out('go');
  await new Promise((r) => process.stdin.once('data', r));
  const t0 = performance.now();
  await batch(n);
  out(`done ${(performance.now() - t0).toFixed(0)}`);
  t.close();
}

function child(args: string[]): { proc: ChildProcess; line: () => Promise<string> } {
  const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const line = () =>
    new Promise<string>((r) => {
      const l = queue.shift();
      if (l !== undefined) r(l);
      else waiting.push(r);
    });
  return { proc, line };
}

async function main(n: number, sessions: number): Promise<void> {
  const fake = child(['router']);
  const routerPort = Number(await fake.line());
  const config = listenerConfig({
    maxTransactionsPerConnection: 1e9,
    maxClients: 1000,
    maxClientsPerIp: 1000,
  });
  const listener = new SmtpListener(config, {
    router: new RouterClient({ baseUrl: `http://127.0.0.1:${routerPort}` }),
    logger: createLogger('warn'),
    tls: await testTls(),
    metrics: createMetrics(),
  });
  const port = await listener.listen();
  const c = child(['client', String(port), String(n), String(sessions)]);
  if ((await c.line()) !== 'go') throw new Error('the client did not warm up');
  const before = process.cpuUsage();
  c.proc.stdin!.write('go\n');
  const ms = Number((await c.line()).split(' ')[1]);
  const cpu = process.cpuUsage(before);
  const per = (us: number) => (us / n).toFixed(0);
  out(
    `${n} messages over ${sessions} sessions in ${ms} ms (${((n / ms) * 1000).toFixed(0)}/s); ` +
      `listener CPU per message ${per(cpu.user + cpu.system)} µs (user ${per(cpu.user)}, system ${per(cpu.system)})`,
  );
  fake.proc.kill();
  await listener.close(10);
  process.exit(0);
}

if (role === 'router') await router();
else if (role === 'client') await client(Number(a1), Number(a2), Number(a3));
else await main(Number(role ?? 4000), Number(a1 ?? 20));
