import { randomBytes } from 'node:crypto';
import { type ConsoleRole, consoleRoles } from '@koukan/db/schema';
import { z } from 'zod';
import type { Auth } from './auth.ts';

/** A console user as the console shows it (never with credentials). */
export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  role: ConsoleRole;
  disabledAt: Date | null;
  createdAt: Date;
}

const roleSchema = z.enum(consoleRoles);

export const inviteUserInput = z.strictObject({
  email: z.string().trim().toLowerCase().email('an email address'),
  name: z.string().trim().min(1, 'a name').max(200),
  role: roleSchema,
});
export const setRoleInput = z.strictObject({ userId: z.string().min(1), role: roleSchema });
export const setDisabledInput = z.strictObject({
  userId: z.string().min(1),
  disabled: z.boolean(),
});
export const userIdInput = z.strictObject({ userId: z.string().min(1) });

export class UserAdminError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'bad_request',
    message: string,
  ) {
    super(message);
  }
}

type RawUser = Record<string, unknown> & {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
};

export function toConsoleUser(u: RawUser): ConsoleUser {
  const role = consoleRoles.includes(u.role as ConsoleRole) ? (u.role as ConsoleRole) : 'viewer';
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role,
    disabledAt: (u.disabledAt as Date | null | undefined) ?? null,
    createdAt: u.createdAt,
  };
}

/** 24 random bytes, base64url: a temporary password to copy once. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function listUsers(auth: Auth): Promise<ConsoleUser[]> {
  const ctx = await auth.$context;
  const rows = await ctx.internalAdapter.listUsers(500, 0, {
    field: 'createdAt',
    direction: 'asc',
  });
  return rows.map((u) => toConsoleUser(u as RawUser));
}

async function requireUser(auth: Auth, userId: string): Promise<ConsoleUser> {
  const ctx = await auth.$context;
  const u = await ctx.internalAdapter.findUserById(userId);
  if (!u) throw new UserAdminError('not_found', 'No such user.');
  return toConsoleUser(u as RawUser);
}

/** Creates a user with a temporary password (returned once; only its hash is stored). */
export async function createUserWithPassword(
  auth: Auth,
  input: z.infer<typeof inviteUserInput> & { password?: string },
): Promise<{ user: ConsoleUser; password: string }> {
  const ctx = await auth.$context;
  if (await ctx.internalAdapter.findUserByEmail(input.email)) {
    throw new UserAdminError('conflict', `A user with the email ${input.email} exists already.`);
  }
  const password = input.password ?? generatePassword();
  const user = await ctx.internalAdapter.createUser(
    { email: input.email, name: input.name, role: input.role, emailVerified: true },
    { method: 'admin' },
  );
  await ctx.internalAdapter.linkAccount({
    userId: user.id,
    providerId: 'credential',
    accountId: user.id,
    password: await ctx.password.hash(password),
  });
  return { user: toConsoleUser(user as RawUser), password };
}

async function activeAdmins(auth: Auth): Promise<ConsoleUser[]> {
  return (await listUsers(auth)).filter((u) => u.role === 'admin' && !u.disabledAt);
}

export async function setRole(
  auth: Auth,
  actorId: string,
  input: z.infer<typeof setRoleInput>,
): Promise<ConsoleUser> {
  const target = await requireUser(auth, input.userId);
  if (target.role === 'admin' && input.role !== 'admin') {
    if (target.id === actorId)
      throw new UserAdminError('bad_request', 'You cannot demote yourself.');
    if ((await activeAdmins(auth)).length <= 1) {
      throw new UserAdminError('conflict', 'The last active admin cannot be demoted.');
    }
  }
  const ctx = await auth.$context;
  return toConsoleUser(
    (await ctx.internalAdapter.updateUser(input.userId, { role: input.role })) as RawUser,
  );
}

/** Disabling ends every session of the user at once; sign-in is refused until re-enabled. */
export async function setDisabled(
  auth: Auth,
  actorId: string,
  input: z.infer<typeof setDisabledInput>,
): Promise<ConsoleUser> {
  const target = await requireUser(auth, input.userId);
  if (input.disabled && target.id === actorId) {
    throw new UserAdminError('bad_request', 'You cannot disable yourself.');
  }
  const ctx = await auth.$context;
  const updated = await ctx.internalAdapter.updateUser(input.userId, {
    disabledAt: input.disabled ? new Date() : null,
  });
  if (input.disabled) await ctx.internalAdapter.deleteUserSessions(input.userId);
  return toConsoleUser(updated as RawUser);
}

/** A new temporary password (returned once); the user's sessions end. */
export async function resetPassword(
  auth: Auth,
  input: z.infer<typeof userIdInput>,
): Promise<{ user: ConsoleUser; password: string }> {
  const user = await requireUser(auth, input.userId);
  const ctx = await auth.$context;
  const password = generatePassword();
  await ctx.internalAdapter.updatePassword(user.id, await ctx.password.hash(password));
  await ctx.internalAdapter.deleteUserSessions(user.id);
  return { user, password };
}

/**
 * The first admin, when no admin exists: from KOUKAN_ADMIN_EMAIL / KOUKAN_ADMIN_PASSWORD, or
 * admin@koukan.localhost with a generated password. Returns the credentials only when it created the
 * user (`generated`: the password was generated and must be shown once).
 */
export async function ensureFirstAdmin(
  auth: Auth,
  options: { email?: string; password?: string },
): Promise<{ email: string; password: string; generated: boolean } | undefined> {
  const ctx = await auth.$context;
  const admins = await ctx.internalAdapter.countTotalUsers([{ field: 'role', value: 'admin' }]);
  if (admins > 0) return undefined;
  const email = options.email ?? 'admin@koukan.localhost';
  const existing = await ctx.internalAdapter.findUserByEmail(email);
  if (existing) {
    // A user with that address exists without being admin (e.g. a demoted first admin).
    return undefined;
  }
  const { password } = await createUserWithPassword(auth, {
    email,
    name: 'Administrator',
    role: 'admin',
    ...(options.password && { password: options.password }),
  });
  return { email, password, generated: !options.password };
}
