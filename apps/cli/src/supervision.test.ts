import { beforeAll, describe, expect, it } from 'vitest';
import { msaTransport } from '../../../bench/smtp-koukan.ts';
import { stackSuite } from './testing/stack.ts';

/**
 * `koukan start` supervises its components as real child processes: one killed with SIGKILL is
 * restarted (logged with why) and the stack works again; SIGTERM stops the gateway before the
 * router, and the router stops its engine before it closes.
 */
describe('koukan start supervision', () => {
  // info: the components' "started" lines carry their pids
  const { sink, stack } = stackSuite(
    { LOG_LEVEL: 'info', KOUKAN_RESTART_BACKOFF_MS: '200' },
    { db: true },
  );
  // Supervised only once `koukan start` saw every component ready (its banner): a component
  // that dies before that is a failed start, and the whole stack stops.
  beforeAll(() => stack.atBanner, 630_000);

  const pids = (pattern: RegExp) => [...stack.output().matchAll(pattern)].map((m) => Number(m[1]));
  const gatewayPids = () => pids(/"pid":(\d+)[^\n]*"msg":"gateway started"/g);
  const routerPids = () =>
    pids(/"component":"router"[^\n]*"pid":(\d+)[^\n]*"msg":"router listening"/g);

  async function sendOne(subject: string) {
    const key = await stack.cli(['apikey', 'create', 'smtp-msa']);
    await msaTransport(stack.ports.msa, key).sendMail({
      envelope: { from: 'alice@example.com', to: ['bob@example.org'] },
      raw: `From: alice@example.com\r\nTo: bob@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`,
    });
    await expect
      .poll(() => sink.received.filter((r) => r.body.includes(`Subject: ${subject}`)).length, {
        timeout: 60_000,
      })
      .toBe(1);
  }

  it('restarts a gateway killed with SIGKILL, and the stack delivers again', async () => {
    expect(gatewayPids()).toHaveLength(1);
    process.kill(gatewayPids()[0]!, 'SIGKILL');
    await expect.poll(() => gatewayPids().length, { timeout: 120_000 }).toBe(2);
    expect(stack.output()).toMatch(
      /"component":"gateway"[^\n]*"signal":"SIGKILL"[^\n]*"msg":"a component died; restarting"/,
    );
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${stack.ports.gateway}/readyz`).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 120_000 },
      )
      .toBe(200);
    await sendOne('after-gateway-restart');
  }, 300_000);

  it('restarts a router killed with SIGKILL', async () => {
    const before = routerPids();
    expect(before.length).toBeGreaterThan(0);
    process.kill(before.at(-1)!, 'SIGKILL');
    await expect.poll(() => routerPids().length, { timeout: 120_000 }).toBe(before.length + 1);
    await sendOne('after-router-restart');
  }, 300_000);

  it('stops in order: the gateway first, then the router (its engine before HTTP)', async () => {
    const from = stack.output().length;
    await stack.stop();
    expect(await stack.exited).toBe(0);
    const tail = stack.output().slice(from);
    const at = (re: RegExp) => tail.search(re);
    expect(at(/"msg":"gateway stopped"/)).toBeGreaterThan(-1);
    expect(at(/"msg":"router stopping"/)).toBeGreaterThan(at(/"msg":"gateway stopped"/));
    expect(at(/"msg":"delivery engine stopped"/)).toBeGreaterThan(at(/"msg":"router stopping"/));
    expect(at(/"msg":"router stopped"/)).toBeGreaterThan(at(/"msg":"delivery engine stopped"/));
  }, 120_000);
});
