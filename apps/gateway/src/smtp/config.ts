import type { GatewayEnv } from '../env.ts';

/** One SMTP listener. MX: no AUTH, one sender; MSA: STARTTLS, AUTH as a sender with its API key. */
export interface ListenerConfig {
  name: string;
  kind: 'mx' | 'msa';
  host: string;
  port: number;
  /** TLS from the first byte (465) instead of STARTTLS. */
  implicitTls: boolean;
  /** MX: the router sender every transaction is created for, and its API key. */
  sender?: string;
  apiKey?: string;
  hostname: string;
  /** smtp-server's 100 ms pause before the greeting (catches early talkers). */
  greetPause: boolean;
  reverseLookup: boolean;
  proxyProtocol: boolean;
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
  };
  const listeners: ListenerConfig[] = [];
  if (env.KOUKAN_SMTP_MX_PORT !== undefined) {
    listeners.push({
      ...common,
      name: 'mx',
      kind: 'mx',
      port: env.KOUKAN_SMTP_MX_PORT,
      implicitTls: false,
      sender: env.KOUKAN_SMTP_MX_SENDER,
      apiKey: env.KOUKAN_SMTP_MX_API_KEY,
      greetPause: true,
    });
  }
  if (env.KOUKAN_SMTP_MSA_PORT !== undefined) {
    listeners.push({
      ...common,
      name: 'msa',
      kind: 'msa',
      port: env.KOUKAN_SMTP_MSA_PORT,
      implicitTls: false,
      greetPause: false,
    });
  }
  if (env.KOUKAN_SMTPS_PORT !== undefined) {
    listeners.push({
      ...common,
      name: 'smtps',
      kind: 'msa',
      port: env.KOUKAN_SMTPS_PORT,
      implicitTls: true,
      greetPause: false,
    });
  }
  return listeners;
}
