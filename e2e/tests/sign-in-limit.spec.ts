import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { expect, test } from '../src/fixtures.ts';

/** src/stack/processes.ts starts the console with this one in KOUKAN_CONSOLE_TRUSTED_PROXIES. */
const TRUSTED_PROXY = '127.0.0.250';

/** A fresh address in `prefix` (this run's buckets are its own, even against a running stack). */
const fresh = (prefix: string) => `${prefix}.${randomInt(1, 250)}.${randomInt(1, 250)}`;

/**
 * The console's sign-in limit (3 attempts per 10 s per client) is keyed by the address the
 * console's own server decides: the socket's, or a trusted proxy's X-Forwarded-For. Each client
 * binds its own loopback address (Linux routes all of 127/8 to lo), so the browser tests'
 * 127.0.0.1 is never the one limited. Compose publishes the port through Docker, which hides the
 * client's address: processes only.
 */
test.describe('sign-in rate limit', () => {
  test.skip(({ stack }) => stack.mode === 'compose', 'needs the clients’ own addresses');

  /** One sign-in attempt from `from`: its status and its X-Retry-After header. */
  function attempt(console: string, from: string, forwardedFor: string) {
    const url = new URL('/api/auth/sign-in/email', console);
    return new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        localAddress: from,
        headers: {
          'content-type': 'application/json',
          origin: url.origin,
          'x-forwarded-for': forwardedFor,
        },
      });
      req.on('response', (res) =>
        res.resume().on('end', () =>
          resolve({
            status: res.statusCode!,
            retryAfter: res.headers['x-retry-after'] as string | undefined,
          }),
        ),
      );
      req.on('error', reject).end(JSON.stringify({ email: 'nobody@example.com', password: 'x' }));
    });
  }

  async function attempts(console: string, from: string, forwardedFor: () => string) {
    const one = async () => (await attempt(console, from, forwardedFor())).status;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await one());
    return statuses;
  }

  test('a rotating X-Forwarded-For is still limited, and locks no other client out', async ({
    stack,
  }) => {
    const attacker = fresh('127.1');
    const rotating = () => fresh('10.0');
    expect(await attempts(stack.console, attacker, rotating)).toEqual([401, 401, 401, 429, 429]);
    // the sign-in form tells how long to wait from this header (sign-in-error.ts): seconds left
    // of the 10 s window
    const limited = await attempt(stack.console, attacker, rotating());
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(10);
    const other = await attempts(stack.console, fresh('127.2'), () => attacker);
    expect(other.slice(0, 3)).toEqual([401, 401, 401]);
  });

  test("a trusted proxy's X-Forwarded-For gives each client its own limit", async ({ stack }) => {
    const [a, b] = [fresh('198.51'), fresh('203.0')];
    expect(await attempts(stack.console, TRUSTED_PROXY, () => a)).toEqual([
      401, 401, 401, 429, 429,
    ]);
    expect((await attempts(stack.console, TRUSTED_PROXY, () => b)).slice(0, 3)).toEqual([
      401, 401, 401,
    ]);
  });
});
