import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testAuth } from '../../testing/harness.ts';
import { ensureFirstAdmin } from './users.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.destroy());

it('generates the first admin on an empty database, whose password signs in, once', async () => {
  const auth = testAuth(database);
  const created = await ensureFirstAdmin(auth, {});
  expect(created).toMatchObject({ email: 'admin@koukan.localhost', generated: true });
  const res = await auth.api.signInEmail({
    body: { email: created!.email, password: created!.password },
  });
  expect((res.user as { role?: string }).role).toBe('admin');
  expect(
    await ensureFirstAdmin(auth, { email: 'other@example.com', password: 'x'.repeat(12) }),
  ).toBeUndefined();
});
