import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import {
  type AttemptJournal,
  type ChainResult,
  type ChainTransaction,
  type JournalEntry,
  runChain,
  validateChain,
} from '@koukan/chain';
import pino from 'pino';
import { cleanEnv, freePort, spawnTsx } from './stack.ts';

/** Test helpers: gateway processes behind one address, and rest_output run as the engine does. */

export const GATEWAY_TOKEN = 'test-gateway-token-0123456789';

export type GatewayProcess = ReturnType<typeof spawnTsx> & { port: number };

/** `apps/gateway/src/main.ts` as a process: outbound API only, its Location absolute. */
export async function startGatewayProcess(
  extra: Record<string, string> = {},
): Promise<GatewayProcess> {
  const port = await freePort();
  const gateway = spawnTsx(['apps/gateway/src/main.ts'], {
    ...cleanEnv(),
    KOUKAN_GATEWAY_PORT: String(port),
    KOUKAN_GATEWAY_TOKEN: GATEWAY_TOKEN,
    KOUKAN_GATEWAY_ADVERTISE_URL: 'auto',
    KOUKAN_SMTP_MX_PORT: 'off',
    KOUKAN_SMTP_MSA_PORT: 'off',
    KOUKAN_SHUTDOWN_GRACE_MS: '1000',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const { child } = gateway;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway did not come up:\n${gateway.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ...gateway, port };
}

/**
 * A TCP proxy on loopback: `route` gets each client and `connect`, which opens a connection to
 * a backend port; both are destroyed on an error of either, and by `close`.
 */
async function tcpProxy(
  route: (client: net.Socket, connect: (port: number) => net.Socket) => void,
) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) =>
    route(client, (port) => {
      const upstream = net.connect(port, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      return upstream;
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP load balancer: each new connection goes to the next backend in turn. */
export function roundRobinProxy(backends: () => number[]) {
  let next = 0;
  return tcpProxy((client, connect) => {
    const list = backends();
    client.pipe(connect(list[next++ % list.length]!)).pipe(client);
  });
}

/**
 * A balancer that loses the answer to the first request: its first connection goes to `first`,
 * whose response is cut off (kept in `lost`) and the connection dropped; every later connection
 * goes to `then`, the other replica.
 */
export async function losingProxy(first: number, then: number) {
  let connections = 0;
  let lost = '';
  const proxy = await tcpProxy((client, connect) => {
    const losing = connections++ === 0;
    const upstream = connect(losing ? first : then);
    client.pipe(upstream);
    if (!losing) {
      upstream.pipe(client);
      return;
    }
    upstream.on('data', (chunk: Buffer) => {
      lost += chunk.toString('latin1');
      if (lost.includes('\r\n\r\n')) {
        client.destroy();
        upstream.destroy();
      }
    });
  });
  /** the head of the response that never reached the client */
  return { ...proxy, lost: () => lost };
}

/** The engine's journal of one attempt, kept in memory. */
export class MemoryJournal implements AttemptJournal {
  readonly attemptId = randomUUID();
  readonly entries: JournalEntry[] = [];
  readonly controller = new AbortController();
  constructor(
    readonly attemptNumber: number,
    private readonly before?: JournalEntry[],
  ) {}
  get signal() {
    return this.controller.signal;
  }
  async record(type: string, data: Record<string, unknown>) {
    this.entries.push({ type, data });
  }
  async previous() {
    return this.before;
  }
  /** What the router would hold for this attempt once its outcome is written. */
  timeline(result?: ChainResult): JournalEntry[] {
    const events = (result?.events ?? []).map((e) => ({ type: e.type, data: e.data ?? {} }));
    return [...this.entries, ...events];
  }
}

/**
 * Runs a one-filter rest_output chain to `url` for one message (to `to`, default
 * bob@example.net), as attempt `journal`.
 */
export function restOutputAttempt({
  to = 'bob@example.net',
  ...opts
}: {
  url: string;
  sinkPort: number;
  id: string;
  to?: string;
  journal: MemoryJournal;
  inline?: boolean;
}): Promise<ChainResult> {
  const checked = validateChain([
    {
      filter: 'rest_output',
      url: opts.url,
      sender: 'outbound',
      api_key_ref: 'gw',
      poll_timeout: 5,
      ...(opts.inline && { inline_body_max: 64 * 1024 }),
    },
  ]);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const body = Buffer.from(
    `From: a@example.com\r\nTo: ${to}\r\nSubject: ${opts.id}\r\n\r\nmessage ${opts.id}\r\n`,
  );
  const tx: ChainTransaction = {
    id: opts.id,
    sender: 'test',
    mail_from: { m: 'a@example.com' },
    rcpt_to: [{ m: to }],
    body: { open: () => Readable.from([body]), size: body.length },
    routing: { remote_hosts: [{ host: '127.0.0.1', port: opts.sinkPort }] },
  };
  return runChain(checked.chain, tx, {
    logger: pino({ level: 'silent' }),
    secrets: { get: (ref) => (ref === 'gw' ? GATEWAY_TOKEN : undefined) },
    attempt: opts.journal,
  });
}
