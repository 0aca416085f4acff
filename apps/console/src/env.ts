import { logLevel, parseEnv as parse, port } from '@koukan/protocol/env';
import { z } from 'zod';
import { trustedProxies } from './server/http/forwarding.ts';

/** The console's environment, validated once; nothing else in the console reads process.env. */
const envSchema = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// URL'),
  KOUKAN_CONSOLE_HOST: z.string().default('127.0.0.1'),
  KOUKAN_CONSOLE_PORT: port(3000),
  /** The URL browsers use to reach the console; default http://<host>:<port>. */
  KOUKAN_CONSOLE_URL: z.string().url().optional(),
  /** More origins allowed to call the auth API (comma-separated), e.g. behind a proxy. */
  KOUKAN_TRUSTED_ORIGINS: z.string().default(''),
  /** Reverse proxies (IPs, CIDRs, comma-separated) whose X-Forwarded-For names the client. */
  KOUKAN_CONSOLE_TRUSTED_PROXIES: trustedProxies,
  /** Signs session cookies; `npm start` generates one into the data folder when unset. */
  BETTER_AUTH_SECRET: z.string().min(32, 'BETTER_AUTH_SECRET: at least 32 characters').optional(),
  KOUKAN_DATA_DIR: z.string().default('./.koukan/data'),
  /** The secret store's key (base64 or hex), or a file holding it (`npm start` passes its
   * file): adding or rotating a domain stores its DKIM private keys as encrypted secrets. */
  KOUKAN_SECRETS_KEY: z.string().optional(),
  KOUKAN_SECRETS_KEY_FILE: z.string().optional(),
  KOUKAN_ADMIN_EMAIL: z.string().email().optional(),
  KOUKAN_ADMIN_PASSWORD: z
    .string()
    .min(8, 'KOUKAN_ADMIN_PASSWORD: at least 8 characters')
    .optional(),
  /** A session ends this long after its last refresh. */
  KOUKAN_SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  KOUKAN_DB_POOL_SIZE: z.coerce.number().int().positive().default(5),
  /** Interval of the live timeline's polling fallback. */
  KOUKAN_CONSOLE_POLL_MS: z.coerce.number().int().positive().default(1000),
  LOG_LEVEL: logLevel,
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
});

export type ConsoleEnv = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): ConsoleEnv {
  return parse(envSchema, source, 'console environment');
}

let cached: ConsoleEnv | undefined;

/** Read lazily: `next build` loads modules without the runtime environment. */
export function env(): ConsoleEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

export function consoleUrl(e: ConsoleEnv): string {
  return e.KOUKAN_CONSOLE_URL ?? `http://${e.KOUKAN_CONSOLE_HOST}:${e.KOUKAN_CONSOLE_PORT}`;
}

/** The console's own URL, its localhost/127.0.0.1 twin, and KOUKAN_TRUSTED_ORIGINS. */
export function trustedOrigins(e: ConsoleEnv): string[] {
  const own = new URL(consoleUrl(e));
  const origins = new Set([own.origin]);
  if (own.hostname === '127.0.0.1' || own.hostname === 'localhost') {
    for (const h of ['127.0.0.1', 'localhost']) origins.add(`${own.protocol}//${h}:${own.port}`);
  }
  for (const o of e.KOUKAN_TRUSTED_ORIGINS.split(',')) if (o.trim()) origins.add(o.trim());
  return [...origins];
}
