import type { Logger } from 'pino';
import type { SMTPServerSession } from 'smtp-server';
import type { Metrics } from '../metrics.ts';
import type { ListenerConfig } from './config.ts';
import { connectRefusal, disabledCommands, type Refusal } from './policy.ts';
import { attachConnection, ConnectionState, connectionOf } from './session.ts';

/**
 * The connections of one listener, from connect to close: the per-client cap, the total session
 * deadline, the commands each may use before TLS, and the connection gauge. Nothing here talks
 * to the router (that is router-bridge.ts).
 */
export class Connections {
  private readonly perClient = new Map<string, number>();
  private readonly open = new Set<ConnectionState>();

  constructor(
    private readonly config: ListenerConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics | undefined,
    /** Ends a session that reached its time limit (a 421 and close). */
    private readonly expire: (sessionId: string) => void,
  ) {}

  /** A new connection: refused (too many from this client), or its state, attached to `session`. */
  connect(session: SMTPServerSession): Refusal | ConnectionState {
    const ip = session.remoteAddress;
    const refusal = connectRefusal(this.perClient.get(ip) ?? 0, this.config.maxClientsPerIp);
    if (refusal) return refusal;
    this.perClient.set(ip, (this.perClient.get(ip) ?? 0) + 1);
    const state = new ConnectionState(session.id, ip, this.logger);
    attachConnection(session, state);
    this.open.add(state);
    session.disabledCommands = disabledCommands(this.config.kind, session.secure);
    state.sessionTimer = setTimeout(() => {
      state.logger.info('session time limit reached');
      this.expire(session.id);
    }, this.config.sessionTimeoutMs).unref();
    this.metrics?.smtpConnections.inc({ listener: this.config.name });
    if (state.logs('debug')) state.logger.debug({ remote: ip }, 'connected');
    return state;
  }

  /** The connection is gone; its state is returned so that its transaction can be cancelled. */
  close(session: SMTPServerSession): ConnectionState | undefined {
    const state = connectionOf(session);
    if (!state) return undefined;
    this.open.delete(state);
    clearTimeout(state.sessionTimer);
    const left = (this.perClient.get(state.remoteAddress) ?? 1) - 1;
    if (left > 0) this.perClient.set(state.remoteAddress, left);
    else this.perClient.delete(state.remoteAddress);
    this.metrics?.smtpConnections.dec({ listener: this.config.name });
    if (state.logs('debug')) state.logger.debug('closed');
    return state;
  }

  /** The connections still open. */
  all(): Iterable<ConnectionState> {
    return this.open;
  }
}
