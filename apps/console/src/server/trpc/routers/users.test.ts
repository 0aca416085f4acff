import { listAudit } from '@koukan/db';
import { describe, expect, it } from 'vitest';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();

describe('users router', () => {
  it('lists users for an admin only', async () => {
    const list = await h.caller(h.users.admin).users.list();
    expect(list.map((u) => u.role).sort()).toEqual(['admin', 'operator', 'viewer']);
    expect(JSON.stringify(list)).not.toContain('password');
    expect(await codeOf(h.caller(h.users.operator).users.list())).toBe('FORBIDDEN');
    expect(await codeOf(h.caller(h.users.viewer).users.list())).toBe('FORBIDDEN');
    expect(await codeOf(h.caller(null).users.list())).toBe('UNAUTHORIZED');
  });

  it('refuses every user mutation to operators, viewers and anonymous callers', async () => {
    const target = h.users.viewer.id;
    for (const who of [h.users.operator, h.users.viewer, null]) {
      const c = h.caller(who);
      const expected = who ? 'FORBIDDEN' : 'UNAUTHORIZED';
      expect(
        await codeOf(c.users.invite({ email: 'x@example.com', name: 'x', role: 'admin' })),
      ).toBe(expected);
      expect(await codeOf(c.users.setRole({ userId: target, role: 'admin' }))).toBe(expected);
      expect(await codeOf(c.users.setDisabled({ userId: target, disabled: true }))).toBe(expected);
      expect(await codeOf(c.users.resetPassword({ userId: target }))).toBe(expected);
    }
    const viewer = (await h.caller(h.users.admin).users.list()).find((u) => u.id === target);
    expect(viewer).toMatchObject({ role: 'viewer', disabledAt: null });
  });

  it('invites a user whose temporary password signs in, and audits it without the password', async () => {
    const admin = h.caller(h.users.admin);
    const { user, temporaryPassword } = await admin.users.invite({
      email: 'New.Person@Example.com',
      name: 'New Person',
      role: 'operator',
    });
    expect(user).toMatchObject({ email: 'new.person@example.com', role: 'operator' });
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(20);
    const signIn = await h.auth.api.signInEmail({
      body: { email: 'new.person@example.com', password: temporaryPassword },
    });
    expect(signIn.user.id).toBe(user.id);
    expect(
      await codeOf(
        admin.users.invite({ email: 'new.person@example.com', name: 'again', role: 'viewer' }),
      ),
    ).toBe('CONFLICT');
    expect(
      await codeOf(admin.users.invite({ email: 'not-an-email', name: 'x', role: 'viewer' })),
    ).toBe('BAD_REQUEST');
    const audit = await listAudit(h.database.db);
    const entry = audit.find((a) => a.action === 'user.invite' && a.entityId === user.id);
    expect(entry?.actor).toBe(`user:${h.users.admin.email}`);
    expect(JSON.stringify(entry)).not.toContain(temporaryPassword);
  });

  it('changes roles, but never demotes the last admin or oneself', async () => {
    const admin = h.caller(h.users.admin);
    const { user } = await admin.users.invite({
      email: 'role@example.com',
      name: 'r',
      role: 'viewer',
    });
    expect((await admin.users.setRole({ userId: user.id, role: 'operator' })).role).toBe(
      'operator',
    );
    expect(await codeOf(admin.users.setRole({ userId: h.users.admin.id, role: 'viewer' }))).toBe(
      'BAD_REQUEST',
    );
    expect(await codeOf(admin.users.setRole({ userId: 'nobody', role: 'viewer' }))).toBe(
      'NOT_FOUND',
    );
  });

  it('disables a user: sessions end, sign-in is refused; enabling lets them back in', async () => {
    const admin = h.caller(h.users.admin);
    const { user, temporaryPassword } = await admin.users.invite({
      email: 'dis@example.com',
      name: 'd',
      role: 'viewer',
    });
    const { headers } = await h.auth.api.signInEmail({
      body: { email: 'dis@example.com', password: temporaryPassword },
      returnHeaders: true,
    });
    const cookie = headers.get('set-cookie')!.split(';')[0]!;
    expect(await h.auth.api.getSession({ headers: new Headers({ cookie }) })).not.toBeNull();

    const disabled = await admin.users.setDisabled({ userId: user.id, disabled: true });
    expect(disabled.disabledAt).toBeInstanceOf(Date);
    expect(await h.auth.api.getSession({ headers: new Headers({ cookie }) })).toBeNull();
    await expect(
      h.auth.api.signInEmail({ body: { email: 'dis@example.com', password: temporaryPassword } }),
    ).rejects.toMatchObject({ statusCode: 403 });
    expect(
      await codeOf(admin.users.setDisabled({ userId: h.users.admin.id, disabled: true })),
    ).toBe('BAD_REQUEST');

    await admin.users.setDisabled({ userId: user.id, disabled: false });
    const again = await h.auth.api.signInEmail({
      body: { email: 'dis@example.com', password: temporaryPassword },
    });
    expect(again.user.id).toBe(user.id);
  });

  it('resets a password: the old one stops working, the new one works', async () => {
    const admin = h.caller(h.users.admin);
    const { user, temporaryPassword: old } = await admin.users.invite({
      email: 'reset@example.com',
      name: 'r',
      role: 'viewer',
    });
    const { temporaryPassword } = await admin.users.resetPassword({ userId: user.id });
    expect(temporaryPassword).not.toBe(old);
    await expect(
      h.auth.api.signInEmail({ body: { email: 'reset@example.com', password: old } }),
    ).rejects.toMatchObject({ statusCode: 401 });
    const ok = await h.auth.api.signInEmail({
      body: { email: 'reset@example.com', password: temporaryPassword },
    });
    expect(ok.user.id).toBe(user.id);
  });

  it('me.get answers who is signed in', async () => {
    expect(await h.caller(null).me.get()).toBeNull();
    expect(await h.caller(h.users.viewer).me.get()).toMatchObject({ role: 'viewer' });
  });
});
