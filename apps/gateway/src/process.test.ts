import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FakeServer } from '@koukan/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MX_KEY, session } from './testing/inbound.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const children: ChildProcess[] = [];
let router: FakeServer;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await router?.close();
});

/** The gateway as its own process (as `npm start` runs it), on free ports. */
async function spawnGateway(env: Record<string, string> = {}) {
  router = await new FakeServer().addKey('smtp-mx', MX_KEY).start();
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      ...process.env,
      KOUKAN_ROUTER_URL: router.url,
      KOUKAN_GATEWAY_PORT: '0',
      KOUKAN_SMTP_MX_PORT: '0',
      KOUKAN_SMTP_MSA_PORT: 'off',
      KOUKAN_SMTP_MX_API_KEY: MX_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout! });
  const ports = await new Promise<{ httpPort: number; smtpPorts: Record<string, number> }>(
    (resolve, reject) => {
      lines.on('line', (line) => {
        if (process.env.GW_DEBUG) process.stderr.write(`${line}\n`);
        const entry = JSON.parse(line) as {
          msg: string;
          httpPort: number;
          smtpPorts: Record<string, number>;
        };
        if (entry.msg === 'gateway started') resolve(entry);
      });
      child.on('exit', () => reject(new Error('gateway exited at start')));
    },
  );
  return { child, exited, mx: ports.smtpPorts.mx!, http: ports.httpPort };
}

async function midData(port: number) {
  const c = await session(port);
  await c.cmd('MAIL FROM:<a@example.org>');
  expect(await c.cmd('RCPT TO:<b@localhost>')).toMatch(/^250/);
  expect(await c.cmd('DATA')).toMatch(/^354/);
  // past the size sent in one piece at the end of DATA (data.ts): the body streams
  c.write(`Subject: half\r\n\r\n${'first half of the message\r\n'.repeat(4000)}`);
  return c;
}

describe('the gateway process', () => {
  it('killed mid-DATA: the client gets no 250 and the router keeps no complete body', async () => {
    const gw = await spawnGateway();
    const c = await midData(gw.mx);
    await expect.poll(() => router.sole().body.length).toBeGreaterThan(0);
    gw.child.kill('SIGKILL');
    expect(await c.reply()).toBe('');
    expect(c.closed).toBe(true);
    const t = router.sole();
    await expect.poll(() => t.bodyAborted).toBe(true);
    expect(t.bodyComplete).toBe(false);
    expect(t.data_response).toBeNull();
  });

  it('SIGTERM: lets a session finish its message, then closes the rest with 421 and cancels', async () => {
    const gw = await spawnGateway({ KOUKAN_SHUTDOWN_GRACE_MS: '1500' });
    const finishing = await midData(gw.mx);
    const idle = await session(gw.mx);
    await idle.cmd('MAIL FROM:<c@example.org>');
    await idle.cmd('RCPT TO:<d@localhost>');
    await expect.poll(() => router.txns.size).toBe(2);
    gw.child.kill('SIGTERM');
    expect(
      (await fetch(`http://127.0.0.1:${gw.http}/readyz`).catch(() => undefined))?.status ?? 503,
    ).toBe(503);
    finishing.write('the end\r\n.\r\n');
    expect(await finishing.reply()).toBe('250 2.0.0 OK queued as t1');
    expect(await idle.reply()).toMatch(/^421 /);
    expect(await gw.exited).toBe(0);
    expect(router.txns.get('t2')?.cancelled).toBe(true);
    expect(router.txns.get('t1')?.bodyComplete).toBe(true);
  });
});
