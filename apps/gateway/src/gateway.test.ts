import { connect } from 'node:net';
import { FakeServer } from '@koukan/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';
import { type RunningGateway, startGateway } from './gateway.ts';
import { MX_KEY, silent } from './testing/inbound.ts';
import { GATEWAY_TOKEN } from './testing/outbound.ts';
import { RawSmtp } from './testing/raw-smtp.ts';
import { Sink } from './testing/sink.ts';

let gw: RunningGateway | undefined;
let router: FakeServer | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await gw?.stop();
  await router?.close();
  await sink?.close();
});

describe('startGateway', () => {
  it('starts listeners and the REST port from env, and drains an outbound delivery on stop', async () => {
    router = await new FakeServer().addKey('smtp-mx', MX_KEY).start();
    sink = await new Sink({ dataDelayMs: 700 }).start();
    const env = loadEnv({
      KOUKAN_ROUTER_URL: router.url,
      KOUKAN_GATEWAY_PORT: '0',
      KOUKAN_GATEWAY_TOKEN: GATEWAY_TOKEN,
      KOUKAN_SMTP_MX_PORT: '0',
      KOUKAN_SMTP_MSA_PORT: '0',
      KOUKAN_SMTPS_PORT: '0',
      KOUKAN_SMTP_MX_API_KEY: MX_KEY,
      KOUKAN_SMTP_HOSTNAME: 'gw.test',
      KOUKAN_SHUTDOWN_GRACE_MS: '5000',
    });
    gw = await startGateway(env, silent);
    expect(Object.keys(gw.smtpPorts).sort()).toEqual(['msa', 'mx', 'smtps']);
    const c = await RawSmtp.open(gw.smtpPorts.mx!);
    expect(await c.reply()).toMatch(/^220 gw\.test /);
    c.close();
    const api = `http://127.0.0.1:${gw.httpPort}`;
    const headers = {
      authorization: `Bearer ${GATEWAY_TOKEN}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${api}/v1/senders/s/transactions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        mail_from: { m: 'a@example.org' },
        rcpt_to: [{ m: 'b@example.net' }],
        remote_hosts: [{ host: '127.0.0.1', port: sink.port }],
        body: { inline: 'Subject: drain\r\n\r\nx\r\n' },
      }),
    });
    const { id } = (await created.json()) as { id: string };
    await expect.poll(() => sink!.open).toBe(1);
    const stopping = gw.stop();
    expect((await fetch(`${api}/readyz`)).status).toBe(503);
    const during = await fetch(`${api}/v1/transactions/${id}`, { headers });
    expect(((await during.json()) as { status: string }).status).toBe('delivering');
    await stopping;
    expect(sink.received).toHaveLength(1);
    gw = undefined;
  });

  it('binds the outbound API to its own address (127.0.0.1 by default), apart from SMTP', async () => {
    router = await new FakeServer().addKey('smtp-mx', MX_KEY).start();
    const env = loadEnv({
      KOUKAN_ROUTER_URL: router.url,
      // the SMTP listeners on another loopback address, as a container exposing port 25 would
      KOUKAN_GATEWAY_HOST: '127.0.0.2',
      KOUKAN_GATEWAY_PORT: '0',
      KOUKAN_GATEWAY_TOKEN: GATEWAY_TOKEN,
      KOUKAN_SMTP_MX_PORT: '0',
      KOUKAN_SMTP_MSA_PORT: 'off',
      KOUKAN_SMTP_MX_API_KEY: MX_KEY,
    });
    expect(env.KOUKAN_GATEWAY_API_HOST).toBe('127.0.0.1');
    gw = await startGateway(env, silent);
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.2:${gw.httpPort}/healthz`)).rejects.toThrow();
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = connect(gw!.smtpPorts.mx!, '127.0.0.2');
      socket.once('data', (d) => {
        resolve(String(d));
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(greeting).toMatch(/^220 /);
  });

  it('refuses a bad environment with every problem named', () => {
    expect(() => loadEnv({ KOUKAN_GATEWAY_PORT: 'x', KOUKAN_SMTP_BARE_NEWLINE: 'maybe' })).toThrow(
      /KOUKAN_GATEWAY_PORT[\s\S]*KOUKAN_SMTP_BARE_NEWLINE/,
    );
    expect(() => loadEnv({ KOUKAN_SMTP_MAX_HEADER_BYTES: '1000000' })).toThrow(
      /KOUKAN_SMTP_MAX_HEADER_BYTES: at most 262144/,
    );
    expect(loadEnv({ KOUKAN_SMTP_MAX_HEADER_BYTES: '65536' }).KOUKAN_SMTP_MAX_HEADER_BYTES).toBe(
      65536,
    );
  });
});
