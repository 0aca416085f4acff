import { hostname } from 'node:os';
import { logLevel, parseEnv, port, positive } from '@koukan/protocol/env';
import { z } from 'zod';
import type { RetentionOptions } from './engine/types.ts';

/** A duration in milliseconds, optional (the consumer holds the default). */
const ms = () => z.coerce.number().int().positive().optional();

/** The router's whole environment, validated once; nothing else reads process.env. */
const envSchema = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// URL'),
  KOUKAN_ROUTER_HOST: z.string().default('127.0.0.1'),
  KOUKAN_ROUTER_PORT: port(8000),
  KOUKAN_DB_POOL_SIZE: positive(10),
  KOUKAN_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().nonnegative().default(30_000),
  /** The server ends a pool session idle inside a transaction this long (0: server default). */
  KOUKAN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().nonnegative().default(10_000),
  KOUKAN_MAX_BODY_BYTES: positive(50 * 1024 * 1024),
  /** An upload that receives no bytes for this long is cut with 408 (and stays resumable). */
  KOUKAN_UPLOAD_IDLE_TIMEOUT_MS: positive(30_000),
  /** Request headers must be complete within this (slowloris). */
  KOUKAN_HTTP_HEADERS_TIMEOUT_MS: positive(10_000),
  /** A JSON request body must be complete within this after its headers (else 408). */
  KOUKAN_HTTP_BODY_TIMEOUT_MS: positive(30_000),
  /** Absolute cap on receiving one request, uploads included (larger ones: Content-Range). */
  KOUKAN_HTTP_REQUEST_TIMEOUT_MS: positive(15 * 60_000),
  /** Concurrent long-polls one API key may hold (429 past it). */
  KOUKAN_LONG_POLLS_PER_KEY: positive(1000),
  /** How long an authenticated API key is remembered; a revocation takes effect within it. */
  KOUKAN_AUTH_CACHE_MS: z.coerce.number().int().nonnegative().default(1000),
  /** Host name for Received:, Authentication-Results: and a DSN's Reporting-MTA. */
  KOUKAN_HOSTNAME: z.string().min(1).default(hostname()),
  /** From: of delivery status notifications. */
  KOUKAN_MAILER_DAEMON: z.string().email().optional(),
  /**
   * How long a transaction is retried before its delay DSN (RFC 3464 `Action: delayed`, once,
   * to recipients whose NOTIFY has DELAY) when the sender's notification policy has no
   * `delay_after`. Default 4 h.
   */
  KOUKAN_DSN_DELAY_AFTER_MS: ms(),
  /** The delivery engine: in-flight attempts per replica, and `false` to run the API only. */
  /** SIGTERM: attempts under way get this long to finish (then aborted, leases released). */
  KOUKAN_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
  /** An attempt's lease (renewed while it runs; a killed replica's work waits this long). 30 s. */
  KOUKAN_ENGINE_LEASE_MS: ms(),
  /** An attempt that runs this long is given up (its upstream cancelled) and retried. 5 min. */
  KOUKAN_ENGINE_ATTEMPT_TIMEOUT_MS: ms(),
  KOUKAN_ENGINE_CONCURRENCY: positive(64),
  KOUKAN_ENGINE: z.enum(['true', 'false']).default('true'),
  /**
   * Retention (each replica's engine runs a bounded pass every `KOUKAN_RETENTION_INTERVAL_MS`,
   * default 60 s). Unset: the engine's defaults (`retentionDefaults` in engine/retention.ts).
   */
  KOUKAN_RETENTION_INTERVAL_MS: ms(),
  /**
   * A queued transaction still waiting for its body this long after its creation (the submitter
   * never finished the upload, e.g. a gateway that died mid-DATA) fails with
   * `downstream_timeout`. Default 24 h.
   */
  KOUKAN_BODY_TIMEOUT_MS: ms(),
  /**
   * A transaction still waiting for its body whose sender heartbeats (the SMTP gateway, with
   * PATCH `{"heartbeat": true}`) and sent neither a heartbeat nor a body chunk for this long
   * fails with `downstream_timeout`. Default 30 min (the gateway's SMTP session timeout).
   */
  KOUKAN_HEARTBEAT_TIMEOUT_MS: ms(),
  /** A finished transaction releases its body (blob) this long after. 7 days. */
  KOUKAN_BODY_RETENTION_MS: ms(),
  /** A finished transaction, attempts and events included, is deleted this long after. 30 days. */
  KOUKAN_TRANSACTION_RETENTION_MS: ms(),
  /** A blob unreferenced for this long is collected. 24 h. */
  KOUKAN_BLOB_GRACE_MS: ms(),
  /** An audit log entry is deleted this long after it was written. 365 days. */
  KOUKAN_AUDIT_RETENTION_MS: ms(),
  /**
   * The secret store's key (32 bytes, base64 or hex), or a file holding it (`npm start` passes
   * the one it made at first start). Without either, secrets come from KOUKAN_SECRET_<REF> only.
   */
  KOUKAN_SECRETS_KEY: z.string().optional(),
  KOUKAN_SECRETS_KEY_FILE: z.string().optional(),
  LOG_LEVEL: logLevel,
});

export type RouterEnv = z.infer<typeof envSchema> & {
  /** Secrets named by chain configs: `KOUKAN_SECRET_<REF>` variables (never logged). */
  secrets: ReadonlyMap<string, string>;
};

export function loadEnv(source: NodeJS.ProcessEnv = process.env): RouterEnv {
  const parsed = parseEnv(envSchema, source, 'router environment');
  const secrets = new Map(
    Object.entries(source).filter(
      (e): e is [string, string] => e[0].startsWith('KOUKAN_SECRET_') && typeof e[1] === 'string',
    ),
  );
  return { ...parsed, secrets };
}

/** The retention knobs that are set; the engine fills in the rest (`retentionDefaults`). */
export function retentionOptions(env: RouterEnv): RetentionOptions {
  const set = {
    intervalMs: env.KOUKAN_RETENTION_INTERVAL_MS,
    bodyTimeoutMs: env.KOUKAN_BODY_TIMEOUT_MS,
    heartbeatTimeoutMs: env.KOUKAN_HEARTBEAT_TIMEOUT_MS,
    bodyAfterMs: env.KOUKAN_BODY_RETENTION_MS,
    deleteAfterMs: env.KOUKAN_TRANSACTION_RETENTION_MS,
    blobGraceMs: env.KOUKAN_BLOB_GRACE_MS,
    auditAfterMs: env.KOUKAN_AUDIT_RETENTION_MS,
  };
  return Object.fromEntries(Object.entries(set).filter((e) => e[1] !== undefined));
}
