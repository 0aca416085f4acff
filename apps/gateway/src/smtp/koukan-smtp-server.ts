import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { hasEnhancedCode } from './policy.ts';

/**
 * smtp-server with three small per-connection adjustments it has no option for. They touch
 * internals of smtp-server 3.21 (pinned exactly in package.json); each is covered by a test.
 *
 * - `greetPauseMs` replaces the hard-coded 100 ms pause before the greeting
 *   (`KOUKAN_SMTP_GREET_PAUSE_MS`, per listener): MX keeps 100 ms by default, where it catches
 *   early talkers (smtp-server answers a command sent before the greeting with `421 You talk
 *   too soon`); the MSA and the benchmark need not pay it per connection (0).
 * - `onReset` is told whenever the session's transaction is reset (RSET, HELO/EHLO, STARTTLS, the
 *   end of DATA): a router transaction still open then is cancelled. smtp-server has no RSET hook.
 * - A reply text that already starts with an enhanced status code (the router's) is sent as is,
 *   instead of getting smtp-server's generic code prepended ("550 5.0.0 5.1.1 ..."), and a 250 to
 *   MAIL or RCPT carries the router's text (`okText`).
 */
export interface KoukanServerExtras {
  greetPauseMs: number;
  onReset?: (session: SMTPServerSession) => void;
  /** The text of a 250 to MAIL or RCPT (the router's), instead of smtp-server's "Accepted". */
  okText?: (session: SMTPServerSession) => string | undefined;
}

const OK_CONTEXTS = new Set(['MAIL_FROM_OK', 'RCPT_TO_OK']);

/** The part of smtp-server's SMTPConnection this file relies on. */
interface ConnectionInternals {
  id: string;
  session: SMTPServerSession;
  _closing: boolean;
  _closed: boolean;
  send(code: number, data?: string | string[], context?: string | false): void;
  close(): void;
  connectionReady(next?: () => void): void;
  _resetSession(): void;
}

/** What the listener may do to a live connection from outside the hooks. */
export interface ConnectionControl {
  /** Sends a final reply (421 …) and closes. */
  closeWith(code: number, message: string): void;
}

export class KoukanSmtpServer extends SMTPServer {
  constructor(
    options: SMTPServerOptions,
    private readonly extras: KoukanServerExtras,
  ) {
    super(options);
  }

  override connect(socket: Socket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    const before = new Set(this.connections);
    super.connect(socket, socketOptions);
    for (const added of this.connections) {
      if (!before.has(added)) this.adjust(added as unknown as ConnectionInternals);
    }
  }

  control(sessionId: string): ConnectionControl | undefined {
    for (const c of this.connections) {
      const conn = c as unknown as ConnectionInternals;
      if (conn.id === sessionId) {
        return {
          closeWith: (code, message) => {
            if (conn._closing || conn._closed) return;
            conn.send(code, message, false);
            conn.close();
          },
        };
      }
    }
    return undefined;
  }

  private adjust(conn: ConnectionInternals): void {
    const send = conn.send.bind(conn);
    const okText = this.extras.okText;
    conn.send = (code, data, context) => {
      if (code === 250 && typeof context === 'string' && OK_CONTEXTS.has(context) && okText) {
        data = okText(conn.session) ?? data;
      }
      if (typeof data === 'string' && code >= 200 && hasEnhancedCode(data)) {
        return send(code, data, false);
      }
      return send(code, data, context);
    };

    const reset = conn._resetSession.bind(conn);
    const onReset = this.extras.onReset;
    conn._resetSession = () => {
      if (onReset && conn.session) onReset(conn.session);
      reset();
    };

    const pauseMs = this.extras.greetPauseMs;
    if (pauseMs !== 100) {
      // init() has armed a 100 ms timer that calls connectionReady(); ours decides instead
      const ready = conn.connectionReady.bind(conn);
      let allowed = false;
      let started = false;
      conn.connectionReady = (next) => {
        if (started || !allowed) return;
        started = true;
        ready(next);
      };
      const go = () => {
        allowed = true;
        if (!conn._closing && !conn._closed) conn.connectionReady();
      };
      if (pauseMs <= 0) go();
      else setTimeout(go, pauseMs).unref();
    }
  }
}
