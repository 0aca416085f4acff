import type { ConsoleRole } from '@koukan/db/schema';
import { createTestDatabase, type TestDatabase, uniqueName } from '@koukan/db/testing';
import { TRPCError } from '@trpc/server';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type Auth, createAuth } from '../server/auth/auth.ts';
import { createUserWithPassword } from '../server/auth/users.ts';
import { createInnerContext, type InnerContext, type SessionUser } from '../server/trpc/context.ts';
import { createCaller } from '../server/trpc/root.ts';

export const BASE_URL = 'http://127.0.0.1:3999';

export interface Harness {
  database: TestDatabase;
  auth: Auth;
  users: Record<ConsoleRole, SessionUser & { password: string }>;
  /** A tRPC caller as that user (null: anonymous). */
  caller(user: SessionUser | null, signal?: AbortSignal): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

export const silent = pino({ level: 'silent' });

export function testAuth(
  database: TestDatabase,
  sessionTtlSeconds = 3600,
  rateLimit = false,
): Auth {
  return createAuth({
    db: database.db,
    secret: 'test-secret-test-secret-test-secret-0123456789',
    baseURL: BASE_URL,
    trustedOrigins: [BASE_URL],
    sessionTtlSeconds,
    logger: silent,
    rateLimit,
  });
}

/**
 * A database of its own, better-auth on it, and one user of each role. `context` adds to every
 * caller's context (the secrets key, a DNS resolver).
 */
export async function createHarness(
  context: Pick<InnerContext, 'secretKey' | 'dns'> = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const auth = testAuth(database);
  const users = {} as Harness['users'];
  for (const role of ['admin', 'operator', 'viewer'] as const) {
    const { user, password } = await createUserWithPassword(auth, {
      email: `${uniqueName(role)}@example.com`,
      name: role,
      role,
    });
    users[role] = { id: user.id, email: user.email, name: user.name, role, password };
  }
  return {
    database,
    auth,
    users,
    caller: (user, signal) =>
      createCaller(
        createInnerContext({
          db: database.db,
          logger: silent,
          auth,
          user,
          pollIntervalMs: 50,
          ...context,
        }),
        signal ? { signal } : undefined,
      ),
    close: () => database.destroy(),
  };
}

/** The test file's harness: made before its tests, closed after them (after its own hooks). */
export function fileHarness(): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await createHarness());
  });
  afterAll(() => h.close?.());
  return h;
}

/** The tRPC error code a call ends with, or 'OK' (any other error is rethrown). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return 'OK';
}
