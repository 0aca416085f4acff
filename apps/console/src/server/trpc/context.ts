import { randomUUID } from 'node:crypto';
import type { DnsResolve } from '@koukan/chain';
import type { Db, TransactionWatcher } from '@koukan/db';
import type { ConsoleRole } from '@koukan/db/schema';
import type { SecretKey } from '@koukan/services';
import type { Logger } from 'pino';
import type { Auth } from '../auth/auth.ts';
import { toConsoleUser } from '../auth/users.ts';
import type { Runtime } from '../runtime.ts';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: ConsoleRole;
}

/** What every procedure sees; tests build it directly and call `createCaller`. */
export interface InnerContext {
  db: Db;
  logger: Logger;
  auth: Auth;
  user: SessionUser | null;
  requestId: string;
  /** Wakes live subscriptions on a transaction change (LISTEN hints + polling). */
  watcher?: TransactionWatcher;
  pollIntervalMs?: number;
  /** Encrypts the DKIM keys a domain's add or rotation makes (absent: those are refused). */
  secretKey?: SecretKey;
  /** DNS for a domain's check and for dry runs (tests replace it); default: the system resolver. */
  dns?: DnsResolve;
}

export function createInnerContext(
  input: Omit<InnerContext, 'requestId'> & { requestId?: string },
): InnerContext {
  return { ...input, requestId: input.requestId ?? randomUUID() };
}

/** The session behind the request's cookie; a disabled user counts as signed out. */
export async function sessionUser(auth: Auth, headers: Headers): Promise<SessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const user = toConsoleUser(session.user as Parameters<typeof toConsoleUser>[0]);
  if (user.disabledAt) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** The request context: the process's runtime plus who is calling, from the request's headers. */
export async function createRequestContext(r: Runtime, headers: Headers): Promise<InnerContext> {
  return createInnerContext({
    db: r.db.db,
    logger: r.logger,
    auth: r.auth,
    watcher: r.watcher,
    pollIntervalMs: r.env.KOUKAN_CONSOLE_POLL_MS,
    ...(r.secretKey && { secretKey: r.secretKey }),
    user: await sessionUser(r.auth, headers),
    requestId: requestIdFrom(headers),
  });
}

/**
 * The caller's `X-Request-Id` when it is a plausible id (as the router accepts it), else a new
 * one: a stranger's header reaches every log line of the request, so its length and characters
 * are bounded.
 */
export function requestIdFrom(headers: Headers): string {
  const given = headers.get('x-request-id');
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}
