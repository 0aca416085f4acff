import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { schema } from '@koukan/db';
import { createTestDatabase, type TestDatabase, uniqueName } from '@koukan/db/testing';
import { toNodeHandler } from 'better-auth/node';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../env.ts';
import { BASE_URL, testAuth } from '../../testing/harness.ts';
import { createUserWithPassword } from '../auth/users.ts';
import { clientAddress, createConsoleServer, trustedProxies } from './forwarding.ts';

const trusted = (list: string) => trustedProxies.parse(list);

describe('clientAddress', () => {
  const proxies = trusted('10.0.0.0/8, 192.0.2.7, fd00::/8');

  it('is the socket peer when the peer is not a trusted proxy, whatever it forwards', () => {
    expect(clientAddress('198.51.100.1', '203.0.113.5', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:198.51.100.1', undefined, proxies)).toBe('198.51.100.1');
  });

  it('is the right-most forwarded address that is not a trusted proxy', () => {
    expect(clientAddress('10.1.1.1', '6.6.6.6, 203.0.113.5', proxies)).toBe('203.0.113.5');
    expect(clientAddress('10.1.1.1', '6.6.6.6, 203.0.113.5, 192.0.2.7', proxies)).toBe(
      '203.0.113.5',
    );
    expect(clientAddress('fd00::1', ['6.6.6.6', '2001:db8::5'], proxies)).toBe('2001:db8::5');
  });

  it('stops at the last address a trusted proxy vouched for', () => {
    expect(clientAddress('10.1.1.1', '203.0.113.5, junk', proxies)).toBe('10.1.1.1');
    expect(clientAddress('10.1.1.1', '192.0.2.7', proxies)).toBe('192.0.2.7');
    expect(clientAddress('10.1.1.1', undefined, proxies)).toBe('10.1.1.1');
  });

  it('refuses a trusted proxy entry that is not an address or range, naming it', () => {
    const env = { DATABASE_URL: 'postgres://x@127.0.0.1/x' };
    for (const bad of ['10.0.0.0/33', 'proxy.example', '10.0.0.1/8/8', 'fd00::/129', '1.2.3.4/x']) {
      expect(() => parseEnv({ ...env, KOUKAN_CONSOLE_TRUSTED_PROXIES: `10.0.0.1,${bad}` })).toThrow(
        `KOUKAN_CONSOLE_TRUSTED_PROXIES: "${bad}" is not an IP address or CIDR range`,
      );
    }
    expect(parseEnv(env).KOUKAN_CONSOLE_TRUSTED_PROXIES.rules).toEqual([]);
  });
});

/**
 * better-auth with its rate limit on, behind the console's server, over real sockets: each
 * client binds its own loopback address (Linux routes all of 127/8 to lo). Sign-in allows 3
 * attempts per 10 s per client; the buckets live in this process, so each test uses its own
 * addresses.
 */
describe('the console server decides the address better-auth limits and records', () => {
  let database: TestDatabase;
  let port: number;
  const user = { email: `${uniqueName('limited')}@example.com`, password: '' };
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const auth = testAuth(database, 3600, true);
    const created = await createUserWithPassword(auth, {
      email: user.email,
      name: 'limited',
      role: 'viewer',
    });
    user.password = created.password;
    const server = createConsoleServer(trusted('127.0.0.9'), toNodeHandler(auth));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    closers.push(() => server.close());
  });
  afterAll(async () => {
    for (const close of closers) close();
    await database?.destroy();
  });

  /** A sign-in's status, sent from `from` (a loopback address) with `headers`. */
  function signIn(from: string, headers: Record<string, string>, password = 'wrong-password') {
    const body = JSON.stringify({ email: user.email, password });
    return new Promise<number>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          localAddress: from,
          method: 'POST',
          path: '/api/auth/sign-in/email',
          headers: { 'content-type': 'application/json', origin: BASE_URL, ...headers },
        },
        (res) => res.resume().on('end', () => resolve(res.statusCode!)),
      );
      req.on('error', reject).end(body);
    });
  }

  async function statuses(from: string, headers: (i: number) => Record<string, string>) {
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push(await signIn(from, headers(i)));
    return out;
  }

  it('limits a client that rotates X-Forwarded-For (or X-Real-IP, Forwarded)', async () => {
    expect(
      await statuses('127.0.0.2', (i) => ({
        'x-forwarded-for': `10.0.0.${i}`,
        'x-real-ip': `10.0.1.${i}`,
        forwarded: `for=10.0.2.${i}`,
        'x-koukan-client-ip': `10.0.3.${i}`,
      })),
    ).toEqual([401, 401, 401, 429, 429]);
  });

  it('does not lock out another client while one is limited', async () => {
    expect(await statuses('127.0.0.3', () => ({}))).toEqual([401, 401, 401, 429, 429]);
    expect(await signIn('127.0.0.4', {})).toBe(401);
  });

  it("honours a trusted proxy's X-Forwarded-For: each forwarded client has its own bucket", async () => {
    const forwarded = (ip: string) => () => ({ 'x-forwarded-for': `6.6.6.6, ${ip}` });
    expect(await statuses('127.0.0.9', forwarded('203.0.113.1'))).toEqual([
      401, 401, 401, 429, 429,
    ]);
    expect(await signIn('127.0.0.9', forwarded('203.0.113.2')())).toBe(401);
  });

  it("records the decided address on the session, not the client's claim", async () => {
    const ok = (from: string, xff: string) =>
      signIn(from, { 'x-forwarded-for': xff }, user.password);
    expect(await ok('127.0.0.5', '6.6.6.6')).toBe(200);
    expect(await ok('127.0.0.9', '203.0.113.7')).toBe(200);
    const rows = await database.db
      .select({ ip: schema.authSessions.ipAddress })
      .from(schema.authSessions)
      .innerJoin(schema.authUsers, eq(schema.authUsers.id, schema.authSessions.userId))
      .where(eq(schema.authUsers.email, user.email));
    expect(rows.map((r) => r.ip).sort()).toEqual(['127.0.0.5', '203.0.113.7']);
  });
});
