import type { GatewayEnv } from '../env.ts';

/** One SMTP listener. MX: no AUTH, one sender; MSA: STARTTLS, AUTH as a sender with its API key. */
export interface ListenerConfig {
  name: string;
  kind: 'mx' | 'msa';
  host: string;
  port: number;
  /** TLS from the first byte (465) instead of STARTTLS. */
  implicitTls: boolean;
  /**
   * The listener's own sender and gateway key: MX creates every transaction as it; the MSA
   * creates submissions as it, naming the authenticated sender in the session.
   */
  sender?: string;
  apiKey?: string;
  hostname: string;
  /** Pause before the greeting (catches early talkers); 0 = none. */
  greetPauseMs: number;
  /** More `Received:` headers than this: `554 5.4.6` (mail loop). */
  maxReceivedHeaders: number;
  /** MAIL commands per connection. */
  maxTransactionsPerConnection: number;
  /** Per client address, across connections: AUTH failures before a lock-out. */
  authFailuresPerIp: number;
  authLockoutMs: number;
  /** The first failure's reply delay; it doubles with each failure (at most 5 s). */
  authDelayMs: number;
  reverseLookup: boolean;
  /** PROXY v1 headers: from every peer (true), none (false), or only these peers. */
  proxyProtocol: boolean | string[];
  bareNewline: 'reject' | 'accept';
  maxMessageBytes: number;
  maxRecipients: number;
  maxLineBytes: number;
  maxHeaderBytes: number;
  maxClients: number;
  maxClientsPerIp: number;
  idleTimeoutMs: number;
  dataTimeoutMs: number;
  sessionTimeoutMs: number;
  routerTimeoutMs: number;
  /** Unrecognised or unauthenticated commands before the connection is dropped. */
  maxBadCommands: number;
}

/** The listeners the environment asks for: MX, MSA (STARTTLS) and, when set, implicit TLS. */
export function listenersFromEnv(env: GatewayEnv): ListenerConfig[] {
  const common = {
    host: env.KOUKAN_GATEWAY_HOST,
    hostname: env.KOUKAN_SMTP_HOSTNAME,
    reverseLookup: env.KOUKAN_SMTP_REVERSE_LOOKUP,
    proxyProtocol: env.KOUKAN_SMTP_PROXY_PROTOCOL,
    bareNewline: env.KOUKAN_SMTP_BARE_NEWLINE,
    maxMessageBytes: env.KOUKAN_SMTP_MAX_MESSAGE_BYTES,
    maxRecipients: env.KOUKAN_SMTP_MAX_RECIPIENTS,
    maxLineBytes: env.KOUKAN_SMTP_MAX_LINE_BYTES,
    maxHeaderBytes: env.KOUKAN_SMTP_MAX_HEADER_BYTES,
    maxClients: env.KOUKAN_SMTP_MAX_CLIENTS,
    maxClientsPerIp: env.KOUKAN_SMTP_MAX_CLIENTS_PER_IP,
    idleTimeoutMs: env.KOUKAN_SMTP_IDLE_TIMEOUT_MS,
    dataTimeoutMs: env.KOUKAN_SMTP_DATA_TIMEOUT_MS,
    sessionTimeoutMs: env.KOUKAN_SMTP_SESSION_TIMEOUT_MS,
    routerTimeoutMs: env.KOUKAN_ROUTER_TIMEOUT_MS,
    maxBadCommands: 10,
    maxReceivedHeaders: env.KOUKAN_SMTP_MAX_RECEIVED_HEADERS,
    maxTransactionsPerConnection: env.KOUKAN_SMTP_MAX_TRANSACTIONS_PER_CONNECTION,
    authFailuresPerIp: env.KOUKAN_SMTP_AUTH_FAILURES_PER_IP,
    authLockoutMs: env.KOUKAN_SMTP_AUTH_LOCKOUT_MS,
    authDelayMs: env.KOUKAN_SMTP_AUTH_DELAY_MS,
  };
  const pause = env.KOUKAN_SMTP_GREET_PAUSE_MS;
  const msa = ['msa', env.KOUKAN_SMTP_MSA_SENDER, env.KOUKAN_SMTP_MSA_API_KEY] as const;
  const wanted = [
    ['mx', env.KOUKAN_SMTP_MX_PORT, 'mx', env.KOUKAN_SMTP_MX_SENDER, env.KOUKAN_SMTP_MX_API_KEY],
    ['msa', env.KOUKAN_SMTP_MSA_PORT, ...msa],
    ['smtps', env.KOUKAN_SMTPS_PORT, ...msa],
  ] as const;
  const listeners: ListenerConfig[] = [];
  for (const [name, port, kind, sender, apiKey] of wanted) {
    if (port === undefined) continue;
    const greetPauseMs = pause[name] ?? (name === 'mx' ? 100 : 0);
    const implicitTls = name === 'smtps';
    listeners.push({ ...common, name, kind, port, implicitTls, sender, apiKey, greetPauseMs });
  }
  return listeners;
}
