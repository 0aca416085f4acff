import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, createHarness, type Harness } from '../../testing/harness.ts';
import { sessionUser } from '../trpc/context.ts';
import { ensureSecretFile, secretPath } from './secret.ts';
import { ensureFirstAdmin } from './users.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

function signInRequest(email: string, password: string, origin = BASE_URL): Request {
  return new Request(`${BASE_URL}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
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
