import { FakeServer } from '@koukan/protocol/testing';
import pino from 'pino';
import type { Metrics } from '../metrics.ts';
import { RouterClient } from '../router-client.ts';
import type { ListenerConfig } from '../smtp/config.ts';
import { SmtpListener } from '../smtp/listener.ts';
import { loadTls, type TlsMaterial } from '../smtp/tls.ts';
import { RawSmtp } from './raw-smtp.ts';

export const MX_KEY = 'kk_mxmxmxmxmx_test-key-of-the-mx-sender-000000000000';
export const MSA_KEY = 'kk_appappappa_test-key-of-the-app-sender-00000000000';

export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let tls: Promise<TlsMaterial> | undefined;
export function testTls(): Promise<TlsMaterial> {
  tls ??= loadTls({}, 'gateway.test', silent);
  return tls;
}

export function listenerConfig(overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    name: 'mx',
    kind: 'mx',
    host: '127.0.0.1',
    port: 0,
    implicitTls: false,
    sender: 'smtp-mx',
    apiKey: MX_KEY,
    hostname: 'gateway.test',
    greetPauseMs: 0,
    maxReceivedHeaders: 25,
    maxTransactionsPerConnection: 50,
    authFailuresPerIp: 10,
    authLockoutMs: 60_000,
    authDelayMs: 0,
    reverseLookup: false,
    proxyProtocol: false,
    bareNewline: 'reject',
    maxMessageBytes: 1024 * 1024,
    maxRecipients: 100,
    maxLineBytes: 998,
    maxHeaderBytes: 64 * 1024,
    maxClients: 100,
    maxClientsPerIp: 50,
    idleTimeoutMs: 30_000,
    dataTimeoutMs: 30_000,
    sessionTimeoutMs: 60_000,
    routerTimeoutMs: 5_000,
    maxBadCommands: 10,
    ...overrides,
  };
}

/** A listener on port 0 in front of a fresh fake router. */
export async function startInbound(
  overrides: Partial<ListenerConfig> = {},
  options: { logger?: typeof silent; metrics?: Metrics } = {},
) {
  const router = await new FakeServer().addKey('smtp-mx', MX_KEY).addKey('app', MSA_KEY).start();
  const listener = new SmtpListener(listenerConfig(overrides), {
    router: new RouterClient({ baseUrl: router.url }),
    logger: options.logger ?? silent,
    tls: await testTls(),
    metrics: options.metrics,
  });
  const port = await listener.listen();
  return {
    router,
    listener,
    port,
    async stop() {
      await listener.close(100);
      await router.close();
    },
  };
}

export type Inbound = Awaited<ReturnType<typeof startInbound>>;

/** An MSA listener's overrides: no sender of its own, its clients AUTH as theirs. */
export const MSA = { name: 'msa', kind: 'msa', sender: undefined, apiKey: undefined } as const;

/** SASL PLAIN's initial response for `user` and `pass`. */
export const plain = (user: string, pass: string) =>
  Buffer.from(`\0${user}\0${pass}`).toString('base64');

/** A client on `port` greeted with a 220 that said EHLO (with `tls`: then STARTTLS, EHLO). */
export async function session(port: number, options: { tls?: boolean } = {}): Promise<RawSmtp> {
  const c = await RawSmtp.open(port);
  const greeting = await c.reply();
  if (!greeting.startsWith('220 ')) throw new Error(`no greeting: ${greeting}`);
  await c.cmd('EHLO client.test');
  if (options.tls) {
    await c.starttls();
    await c.cmd('EHLO client.test');
  }
  return c;
}
