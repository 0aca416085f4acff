import type { Db } from '@koukan/db';
import { schema } from '@koukan/db';
import { type AuthContext, betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { APIError } from 'better-auth/api';
import type { Logger } from 'pino';
import { CLIENT_IP_HEADER } from '../http/forwarding.ts';
import { authPath, notServed, servedPaths } from './served-paths.ts';

const BASE_PATH = '/api/auth';

interface AuthOptions {
  db: Db;
  secret: string;
  /** The console's URL as browsers see it. */
  baseURL: string;
  /** Origins whose requests are accepted (CSRF: better-auth checks Origin on every mutation). */
  trustedOrigins: string[];
  sessionTtlSeconds: number;
  logger: Logger;
  /** Off in tests that call the API in a tight loop. */
  rateLimit?: boolean;
}

/**
 * better-auth over the existing `auth_*` tables: email + password only (no public sign-up:
 * admins create users), sessions in the database that expire, a role and a disabled flag on
 * the user row. A disabled user's sign-in is refused where the session would be created.
 */
export function createAuth(options: AuthOptions) {
  const { db, logger } = options;
  const self: { context?: Promise<{ internalAdapter: AuthContext['internalAdapter'] }> } = {};
  const auth = betterAuth({
    appName: 'Koukan',
    telemetry: { enabled: false },
    baseURL: options.baseURL,
    basePath: BASE_PATH,
    secret: options.secret,
    trustedOrigins: options.trustedOrigins,
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: {
        user: schema.authUsers,
        session: schema.authSessions,
        account: schema.authAccounts,
        verification: schema.authVerifications,
        rateLimit: schema.authRateLimits,
      },
    }),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8 },
    session: {
      expiresIn: options.sessionTtlSeconds,
      updateAge: Math.min(3600, Math.floor(options.sessionTtlSeconds / 4)),
      cookieCache: { enabled: false },
    },
    user: {
      additionalFields: {
        role: { type: 'string', input: false, required: false, defaultValue: 'viewer' },
        disabledAt: { type: 'date', input: false, required: false },
      },
    },
    // In the database, not the process: every console replica counts against the same limit
    // (better-auth's own rules on top: sign-in 3 per 10 s per client).
    rateLimit: { enabled: options.rateLimit ?? true, window: 60, max: 100, storage: 'database' },
    advanced: {
      useSecureCookies: options.baseURL.startsWith('https:'),
      // Explicit: better-auth would skip its origin (CSRF) check under a test runner otherwise.
      disableOriginCheck: false,
      // Rate-limit buckets and sessions' ip_address: only the address the console's server
      // decided (forwarding.ts), never a client's X-Forwarded-For.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    databaseHooks: {
      session: {
        create: {
          before: async (session, endpoint) => {
            const adapter =
              endpoint?.context.internalAdapter ?? (await self.context!).internalAdapter;
            const user = await adapter.findUserById(session.userId);
            if (!user || (user as { disabledAt?: Date | null }).disabledAt) {
              throw new APIError('FORBIDDEN', {
                message: 'This account is disabled; ask an administrator.',
                code: 'ACCOUNT_DISABLED',
              });
            }
          },
        },
      },
    },
    logger: {
      level: 'warn',
      log: (level, message) => {
        // better-auth's own messages; arguments are dropped (they may carry request data).
        logger[level === 'debug' ? 'debug' : level]({ component: 'better-auth' }, message);
      },
    },
  });
  self.context = auth.$context as Promise<{ internalAdapter: AuthContext['internalAdapter'] }>;
  const served = servedPaths(auth.api);
  const handler = auth.handler;
  auth.handler = (req: Request) =>
    served(authPath(req.url, BASE_PATH)) ? handler(req) : Promise.resolve(notServed());
  return auth;
}

export type Auth = ReturnType<typeof createAuth>;
