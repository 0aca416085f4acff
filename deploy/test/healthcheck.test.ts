import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.ts';

/** The image's HEALTHCHECK script against a real HTTP server on loopback. */
const script = join(repoRoot, 'apps/cli/bin/healthcheck.js');

function check(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('apps/cli/bin/healthcheck.js', () => {
  let server: http.Server;
  let base: string;
  let unused: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/readyz' ? 200 : req.url === '/login' ? 307 : 503;
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spare = http.createServer().listen(0, '127.0.0.1');
    await once(spare, 'listening');
    unused = (spare.address() as AddressInfo).port;
    await new Promise((r) => spare.close(r));
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('is healthy on 2xx and 3xx, unhealthy on 5xx and when nothing listens', async () => {
    expect(await check([`${base}/readyz`])).toBe(0);
    expect(await check([`${base}/login`])).toBe(0);
    expect(await check([`${base}/other`])).toBe(1);
    expect(await check([`http://127.0.0.1:${unused}/readyz`])).toBe(1);
  });

  it('without an argument, finds the component by its port variables', async () => {
    const port = new URL(base).port;
    const others = { KOUKAN_CONSOLE_PORT: String(unused) };
    expect(
      await check([], { ...others, KOUKAN_ROUTER_PORT: port, KOUKAN_GATEWAY_PORT: String(unused) }),
    ).toBe(0);
    expect(
      await check([], { ...others, KOUKAN_GATEWAY_PORT: port, KOUKAN_ROUTER_PORT: String(unused) }),
    ).toBe(0);
    expect(
      await check([], {
        ...others,
        KOUKAN_ROUTER_PORT: String(unused),
        KOUKAN_GATEWAY_PORT: String(unused),
      }),
    ).toBe(1);
    expect(await check([], { KOUKAN_HEALTHCHECK_URL: `${base}/other` })).toBe(1);
  });
});
