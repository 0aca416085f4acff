import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { MAX_HEADER_BYTES } from '@koukan/protocol';
import { logLevel, parseEnv, port, positive } from '@koukan/protocol/env';
import { z } from 'zod';

/** A port, or `off` / empty to not open that listener. */
const optionalPort = (fallback: number | undefined) =>
  z
    .union([z.literal('off'), z.literal(''), z.coerce.number().int().min(0).max(65535)])
    .optional()
    .transform((v) => (v === 'off' || v === '' ? undefined : (v ?? fallback)));
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

/**
 * `KOUKAN_SMTP_PROXY_PROTOCOL`: `true` (every peer must send a PROXY header, so any peer that
 * reaches the port names its own address), or the load balancers' addresses, comma-separated:
 * only they send one; anyone else is its socket's address.
 */
const proxyPeers = z
  .string()
  .optional()
  .transform((v, ctx): boolean | string[] => {
    if (v === undefined || ['', 'false', '0', 'no'].includes(v)) return false;
    if (['true', '1', 'yes'].includes(v)) return true;
    const peers = v.split(',').map((p) => p.trim());
    const bad = peers.find((p) => !isIP(p));
    if (bad === undefined) return peers;
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not an IP address (or true / false)` });
    return z.NEVER;
  });

/**
 * `KOUKAN_SMTP_GREET_PAUSE_MS`: a number for every listener, or per listener `mx=300,msa=0`
 * (listeners not named keep their default: MX 100 ms, MSA and SMTPS none).
 */
const GREET_PAUSE = /^(?:\d{1,5}|(?:mx|msa|smtps)=\d{1,5}(?:,(?:mx|msa|smtps)=\d{1,5})*)$/;
const greetPause = z
  .string()
  .regex(GREET_PAUSE, 'milliseconds (e.g. 100), or per listener: mx=300,msa=0')
  .optional()
  .transform((v) => {
    const pauses: Record<string, number> = { mx: 100, msa: 0, smtps: 0 };
    if (!v) return pauses;
    if (/^\d+$/.test(v)) return { mx: Number(v), msa: Number(v), smtps: Number(v) };
    for (const part of v.split(',')) {
      const [name, ms] = part.split('=') as [string, string];
      pauses[name] = Number(ms);
    }
    return pauses;
  });

const NEXT_HOP = /^(?:(smtp|lmtp):\/\/)?([^:/\s]+):(\d{1,5})$/;

/** The gateway's whole environment, validated once; nothing else reads process.env. */
const envSchema = z.object({
  KOUKAN_ROUTER_URL: z.string().url().default('http://127.0.0.1:8000'),
  /** Bind address of the SMTP listeners. */
  KOUKAN_GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** Bind address of the REST port (outbound API, probes), apart from the SMTP listeners. */
  KOUKAN_GATEWAY_API_HOST: z.string().default('127.0.0.1'),
  KOUKAN_GATEWAY_PORT: port(8001),
  /** Shared bearer token the router's rest_output presents; unset = the API refuses every call. */
  KOUKAN_GATEWAY_TOKEN: z.string().min(16).optional(),
  /** The REST port's request limits (see http/server.ts). */
  KOUKAN_HTTP_HEADERS_TIMEOUT_MS: positive(10_000),
  KOUKAN_HTTP_BODY_TIMEOUT_MS: positive(30_000),
  KOUKAN_HTTP_REQUEST_TIMEOUT_MS: positive(15 * 60_000),
  KOUKAN_GATEWAY_MAX_LONG_POLLS: positive(1000),
  KOUKAN_SMTP_HOSTNAME: z.string().default(hostname()),

  KOUKAN_SMTP_MX_PORT: optionalPort(2525),
  KOUKAN_SMTP_MX_SENDER: z.string().default('smtp-mx'),
  /** API key of the MX sender, the bearer token of the router calls of the MX listener. */
  KOUKAN_SMTP_MX_API_KEY: z.string().optional(),
  KOUKAN_SMTP_MSA_PORT: optionalPort(2587),
  /**
   * The MSA listener's own sender and gateway key: every submission is created as this sender
   * (its chain's exploder(msa) fans it out), with the session facts only a gateway key may set.
   * A client that authenticates as another sender has its mail fanned out into that sender's
   * transactions (its chain, retries, DSNs). Without a key only senders whose own chain has an
   * exploder can submit (created with their key, without session facts).
   */
  KOUKAN_SMTP_MSA_SENDER: z.string().default('smtp-msa'),
  KOUKAN_SMTP_MSA_API_KEY: z.string().optional(),
  /** Pause before the greeting, catching early talkers (see GREET_PAUSE above). */
  KOUKAN_SMTP_GREET_PAUSE_MS: greetPause,
  /** Implicit TLS submission (465); off unless set. */
  KOUKAN_SMTPS_PORT: optionalPort(undefined),
  /** PEM files; without them a self-signed certificate is generated at start. */
  KOUKAN_TLS_CERT_FILE: z.string().optional(),
  KOUKAN_TLS_KEY_FILE: z.string().optional(),

  KOUKAN_SMTP_MAX_MESSAGE_BYTES: positive(50 * 1024 * 1024),
  KOUKAN_SMTP_MAX_RECIPIENTS: positive(100),
  KOUKAN_SMTP_MAX_LINE_BYTES: z.coerce.number().int().min(78).default(998),
  /** At most the router's own limit: a larger header section would be refused after DATA. */
  KOUKAN_SMTP_MAX_HEADER_BYTES: positive(MAX_HEADER_BYTES).pipe(
    z.number().max(MAX_HEADER_BYTES, `at most ${MAX_HEADER_BYTES}, the router's limit`),
  ),
  KOUKAN_SMTP_MAX_CLIENTS: positive(1000),
  KOUKAN_SMTP_MAX_CLIENTS_PER_IP: positive(20),
  KOUKAN_SMTP_IDLE_TIMEOUT_MS: positive(60_000),
  KOUKAN_SMTP_DATA_TIMEOUT_MS: positive(10 * 60_000),
  KOUKAN_SMTP_SESSION_TIMEOUT_MS: positive(30 * 60_000),
  /** `reject` (default): refuse DATA with bare CR, bare LF or NUL; `accept` passes it on. */
  KOUKAN_SMTP_BARE_NEWLINE: z.enum(['reject', 'accept']).default('reject'),
  /** More `Received:` headers than this in a message is a mail loop: `554 5.4.6`. */
  KOUKAN_SMTP_MAX_RECEIVED_HEADERS: positive(25),
  /** MAIL commands one connection may give; past it `421 4.7.0` and the connection closes. */
  KOUKAN_SMTP_MAX_TRANSACTIONS_PER_CONNECTION: positive(50),
  /**
   * Failed AUTH attempts one client address may make (across connections) before it is locked
   * out with `421 4.7.0` for `KOUKAN_SMTP_AUTH_LOCKOUT_MS`; each failure delays the reply
   * (250 ms, doubling, at most 5 s).
   */
  KOUKAN_SMTP_AUTH_FAILURES_PER_IP: positive(10),
  KOUKAN_SMTP_AUTH_LOCKOUT_MS: positive(15 * 60_000),
  KOUKAN_SMTP_AUTH_DELAY_MS: z.coerce.number().int().nonnegative().default(250),
  KOUKAN_SMTP_PROXY_PROTOCOL: proxyPeers,
  KOUKAN_SMTP_REVERSE_LOOKUP: flag(false),
  /** How long an SMTP reply may wait for the router before the client gets a 451. */
  KOUKAN_ROUTER_TIMEOUT_MS: positive(30_000),

  KOUKAN_OUTBOUND_MAX_CONNECTIONS_PER_DESTINATION: positive(4),
  KOUKAN_OUTBOUND_MESSAGES_PER_CONNECTION: positive(100),
  KOUKAN_OUTBOUND_IDLE_MS: positive(5_000),
  /** Deliveries waiting for a connection to one destination (past it: 451 at once)… */
  KOUKAN_OUTBOUND_MAX_QUEUED_PER_DESTINATION: positive(100),
  /** …and how long one may wait (then 451; the router retries). */
  KOUKAN_OUTBOUND_QUEUE_TIMEOUT_MS: positive(60_000),
  KOUKAN_OUTBOUND_TIMEOUT_MS: positive(5 * 60_000),
  KOUKAN_OUTBOUND_LMTP: flag(false),
  /** `lmtp://host:port`, `smtp://host:port` or `host:port`: when the router sends no remote_hosts. */
  KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP: z
    .string()
    .regex(NEXT_HOP, 'lmtp://host:port, smtp://host:port or host:port')
    .optional()
    .transform((v) => {
      const m = v ? NEXT_HOP.exec(v) : null;
      return m ? { host: m[2]!, port: Number(m[3]), lmtp: m[1] === 'lmtp' } : undefined;
    }),
  /**
   * This replica's own base URL for the outbound API, given in `Location` so that the router
   * reaches the replica that holds a transaction even through a load balancer (e.g.
   * `http://10.1.2.3:8001`); `auto` = http://<API host>:<bound port>, the API host being the
   * first non-internal IPv4 address (the pod's IP) when it is a wildcard. Unset: relative Location
   * (one replica, or a balancer with affinity).
   */
  KOUKAN_GATEWAY_ADVERTISE_URL: z
    .string()
    .refine(
      (v) => v === 'auto' || /^https?:\/\/[^/?#\s]+\/?$/.test(v),
      'auto or http(s)://host:port',
    )
    .optional(),
  KOUKAN_SHUTDOWN_GRACE_MS: positive(25_000),
  LOG_LEVEL: logLevel,
});

export type GatewayEnv = z.infer<typeof envSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  return parseEnv(envSchema, source, 'gateway environment');
}
