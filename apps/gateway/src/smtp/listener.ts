import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import type { Metrics } from '../metrics.ts';
import type { RouterClient } from '../router-client.ts';
import type { ListenerConfig } from './config.ts';
import { Connections } from './connections.ts';
import { baseOptions } from './options.ts';
import { disabledCommands } from './policy.ts';
import { RouterBridge, smtpError } from './router-bridge.ts';
import { batched, ConnectionState, connectionOf } from './session.ts';
import type { TlsMaterial } from './tls.ts';

export interface ListenerDeps {
  router: RouterClient;
  logger: Logger;
  tls: TlsMaterial;
  metrics?: Metrics;
}

/**
 * One SMTP listener: smtp-server (with its own protocol guards, options.ts, and the patch that
 * patched-server.ts checks for) whose hooks only hand over to the two halves of the listener —
 * `Connections` (caps and deadlines, connect to close) and `RouterBridge` (each SMTP transaction
 * as a router transaction). The decisions of both live in policy.ts and data.ts.
 */
export class SmtpListener {
  readonly server: SMTPServer;
  private readonly connections: Connections;
  private readonly bridge: RouterBridge;
  private readonly logger: Logger;

  constructor(
    readonly config: ListenerConfig,
    deps: ListenerDeps,
  ) {
    this.logger = deps.logger.child({ listener: config.name });
    const c = config;
    // a 421 closes the connection once sent
    const closeWith = (sessionId: string, message: string) => {
      for (const conn of this.server.connections) {
        if (conn.id === sessionId) conn.send(421, message, false);
      }
    };
    this.connections = new Connections(c, this.logger, deps.metrics, (id) =>
      closeWith(id, '4.4.2 Session time limit reached'),
    );
    this.bridge = new RouterBridge(c, deps.router, deps.metrics, closeWith);
    const bridge = this.bridge;
    this.server = new SMTPServer({
      ...baseOptions(c, deps.tls),
      onConnect: (s, cb) => {
        const state = this.connections.connect(s);
        if (!(state instanceof ConnectionState)) return cb(smtpError(state));
        for (const conn of this.server.connections) if (conn.session === s) state.connection = conn;
        cb();
      },
      onSecure: (_socket, s, cb) => {
        s.disabledCommands = disabledCommands(c.kind, true);
        cb();
      },
      onAuth: (a, s, cb) => void bridge.auth(a, s, cb),
      onMailFrom: (a, s, cb) => void bridge.mailFrom(a, s, batched(s, cb, true)),
      onRcptTo: (a, s, cb) => void bridge.rcptTo(a, s, batched(s, cb, true)),
      onData: (stream, s, cb) => void bridge.data(stream, s, batched(s, cb, false)),
      onClose: (s) => {
        const txn = this.connections.close(s)?.transaction;
        if (txn?.open) bridge.cancel(txn, 'connection closed');
      },
      onReset: (s) => {
        const txn = connectionOf(s)?.transaction;
        if (txn?.phase === 'envelope') bridge.cancel(txn, 'transaction reset');
      },
    });
    this.server.on('error', (err) => this.logger.warn({ err: err.message }, 'smtp error'));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => resolve());
    });
    const port = (this.server.server.address() as AddressInfo).port;
    this.logger.info({ port, kind: this.config.kind, tls: this.config.implicitTls }, 'listening');
    return port;
  }

  /**
   * Stops accepting; open sessions get up to `graceMs` to finish, then a 421. Resolves once the
   * router has been told to cancel every transaction left open.
   */
  async close(graceMs: number): Promise<void> {
    this.server.options.closeTimeout = graceMs;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // the grace is over: whatever is still open is cancelled now, not when its socket closes
    for (const state of this.connections.all()) {
      if (state.transaction?.open) this.bridge.cancel(state.transaction, 'gateway shutting down');
    }
    await this.bridge.settled();
  }
}
