import { logLevel, parseEnv, port } from '@koukan/protocol/env';
import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'host:port')
  .optional();

/** The CLI's environment, validated once; nothing else in the CLI reads process.env. */
const envSchema = z.object({
  /** A real PostgreSQL; when unset, `start` runs the embedded one. */
  DATABASE_URL: z.string().url().optional(),
  KOUKAN_DATA_DIR: z.string().default('./.koukan/data'),
  KOUKAN_EMBEDDED_DB_PORT: port(5433),
  KOUKAN_CONFIG: z.string().optional(),
  /** The key of the secret store (32 bytes, base64 or hex); else the key file below. */
  KOUKAN_SECRETS_KEY: z.string().optional(),
  /** The key file, created at first start (mode 0600); default `secrets.key` beside the data folder. */
  KOUKAN_SECRETS_KEY_FILE: z.string().optional(),
  KOUKAN_SEED_API_KEY: z.string().optional(),
  KOUKAN_SMARTHOST: hostPort,
  /** The gateway's outbound API as the default chains' rest_output reaches it (containers). */
  KOUKAN_GATEWAY_URL: z.string().url().optional(),
  /** A receiving application: the default smtp-mx-output hands inbound mail to it. */
  KOUKAN_INBOUND_URL: z.string().url().optional(),
  /** The bearer token that receiving application expects (the router's `receiver` secret). */
  KOUKAN_INBOUND_TOKEN: z.string().min(1).optional(),
  /** `host:port` of an LMTP server: the default smtp-mx-output delivers inbound mail there. */
  KOUKAN_INBOUND_LMTP: hostPort,
  /** `koukan init` registers it for the smtp-mx sender (the gateway's MX listener key). */
  KOUKAN_SMTP_MX_API_KEY: z.string().optional(),
  /** `koukan init` registers it for the smtp-msa sender (the gateway's MSA listener key). */
  KOUKAN_SMTP_MSA_API_KEY: z.string().optional(),
  KOUKAN_ROUTER_PORT: port(8000),
  KOUKAN_GATEWAY_PORT: port(8001),
  KOUKAN_CONSOLE_PORT: port(3000),
  /** Only for the banner (the gateway reads them itself): where MX and submission listen. */
  KOUKAN_SMTP_MX_PORT: z.string().default('2525'),
  KOUKAN_SMTP_MSA_PORT: z.string().default('2587'),
  /**
   * `npm start` stopping: each component's own grace (passed to the router and the gateway);
   * the supervisor kills a component that has not exited 10 s after it.
   */
  KOUKAN_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  /** A component that dies is restarted after this (doubling per quick death, at most 30 s). */
  KOUKAN_RESTART_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  /** `all`, `none`, or a comma-separated list of router, gateway, console. */
  KOUKAN_COMPONENTS: z.string().default('all'),
  LOG_LEVEL: logLevel,
});

export type CliEnv = z.infer<typeof envSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  return parseEnv(envSchema, source, 'environment');
}
