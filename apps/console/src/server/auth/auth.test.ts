import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, createHarness, type Harness, testAuth } from '../../testing/harness.ts';
import { CLIENT_IP_HEADER } from '../http/forwarding.ts';
import { sessionUser } from '../trpc/context.ts';
import { ensureSecretFile, secretPath } from './secret.ts';
import { ensureFirstAdmin } from './users.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

function signInRequest(
  email: string,
  password: string,
  origin = BASE_URL,
  clientIp?: string,
): Request {
  return new Request(`${BASE_URL}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin,
      ...(clientIp && { [CLIENT_IP_HEADER]: clientIp }),
    },
    body: JSON.stringify({ email, password }),
  });
}

describe('auth flow through better-auth', () => {
  it('signs in over HTTP with a session cookie that identifies the user and role', async () => {
    const res = await h.auth.handler(
      signInRequest(h.users.operator.email, h.users.operator.password),
    );
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const user = await sessionUser(h.auth, new Headers({ cookie }));
    expect(user).toMatchObject({ id: h.users.operator.id, role: 'operator' });
  });

  it('refuses a wrong password and an unknown user with the same 401', async () => {
    const wrong = await h.auth.handler(signInRequest(h.users.viewer.email, 'not-the-password'));
    const unknown = await h.auth.handler(signInRequest('nobody@example.com', 'whatever-123'));
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a sign-in posted from an untrusted origin (CSRF)', async () => {
    const res = await h.auth.handler(
      signInRequest(h.users.viewer.email, h.users.viewer.password, 'https://evil.example'),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('ends an expired session', async () => {
    const { headers, response } = await h.auth.api.signInEmail({
      body: { email: h.users.viewer.email, password: h.users.viewer.password },
      returnHeaders: true,
    });
    const cookie = headers.get('set-cookie')!.split(';')[0]!;
    expect(await sessionUser(h.auth, new Headers({ cookie }))).not.toBeNull();
    const ctx = await h.auth.$context;
    await ctx.internalAdapter.updateSession(response.token, {
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await sessionUser(h.auth, new Headers({ cookie }))).toBeNull();
  });

  it('sets expiry from the configured TTL', async () => {
    const before = Date.now();
    const { response } = await h.auth.api.signInEmail({
      body: { email: h.users.admin.email, password: h.users.admin.password },
      returnHeaders: true,
    });
    const ctx = await h.auth.$context;
    const found = await ctx.internalAdapter.findSession(response.token);
    const ttl = found!.session.expiresAt.getTime() - before;
    expect(ttl).toBeGreaterThan(3500_000);
    expect(ttl).toBeLessThan(3700_000);
  });
});

describe('the sign-in rate limit', () => {
  it('holds across console replicas: one client gets 3 attempts per 10 s in all, not per process', async () => {
    // two replicas: better-auth instances of their own (each with its own memory) on one database
    const replicas = [testAuth(h.database, 3600, true), testAuth(h.database, 3600, true)];
    const client = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const replica = replicas[i % 2]!;
      const res = await replica.handler(signInRequest('nobody@example.com', 'x', BASE_URL, client));
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // another client is not limited by it, whichever replica it reaches
    const other = await replicas[1]!.handler(
      signInRequest(h.users.viewer.email, h.users.viewer.password, BASE_URL, '203.0.113.9'),
    );
    expect(other.status).toBe(200);
    const rows = await h.database.pool.query<{ key: string; count: number }>(
      'select key, count from auth_rate_limits where key like $1',
      [`%${client}%`],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.count).toBe(3);
  });

  it('writes no counter for a path better-auth does not serve, however long or many', async () => {
    const auth = testAuth(h.database, 3600, true);
    const client = '198.51.100.251';
    const post = (path: string) =>
      auth.handler(
        new Request(`${BASE_URL}/api/auth${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: BASE_URL,
            [CLIENT_IP_HEADER]: client,
          },
          body: '{}',
        }),
      );
    const made = [
      '/nope',
      `/${'x'.repeat(5000)}`,
      `/reset-password/${'t'.repeat(5000)}`,
      '/sign-in',
    ];
    for (const path of made) expect((await post(path)).status, path).toBe(404);
    const rows = () =>
      h.database.pool
        .query<{ key: string }>('select key from auth_rate_limits where key like $1', [
          `${client}%`,
        ])
        .then((r) => r.rows.map((row) => row.key));
    expect(await rows()).toEqual([]);
    // a trailing slash is the same endpoint and the same counter (no way around the limit)
    const statuses = [];
    for (const path of [
      '/sign-in/email',
      '/sign-in/email/',
      '/sign-in/email//',
      '/sign-in/email/',
    ]) {
      statuses.push((await post(path)).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(await rows()).toEqual([`${client}|/sign-in/email`]);
  });

  // A second process (its own memory) on the same database; the embedded database serves one
  // connection at a time, so on a real PostgreSQL only (CI has one).
  it.runIf(!!process.env.DATABASE_URL)(
    'holds across console processes: a replica in another process used up the client’s attempts',
    async () => {
      const client = `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
      const script = new URL('../../testing/sign-in-replica.ts', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', script, h.database.url, client, '3'],
        { timeout: 60_000 },
      );
      expect(JSON.parse(stdout)).toEqual([401, 401, 401]);
      const here = testAuth(h.database, 3600, true);
      const res = await here.handler(signInRequest('nobody@example.com', 'x', BASE_URL, client));
      expect(res.status).toBe(429);
    },
  );
});

describe('first admin and secret', () => {
  it('creates the first admin once, from the given credentials', async () => {
    // The harness already has an admin: nothing happens.
    expect(await ensureFirstAdmin(h.auth, {})).toBeUndefined();
  });

  it('generates a secret file with mode 0600 and keeps it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'koukan-console-')), 'data');
    const first = ensureSecretFile(dir);
    expect(first.length).toBeGreaterThanOrEqual(40);
    expect(statSync(secretPath(dir)).mode & 0o777).toBe(0o600);
    expect(ensureSecretFile(dir)).toBe(first);
    expect(readFileSync(secretPath(dir), 'utf8').trim()).toBe(first);
  });
});
