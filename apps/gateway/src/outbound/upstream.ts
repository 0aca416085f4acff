import type { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpReply } from '../router-client.ts';

/**
 * One SMTP/LMTP connection to a next hop (nodemailer's SMTPConnection), with the server's replies
 * recorded verbatim in order, so the mail, rcpt and data responses can be reported exactly as the
 * upstream gave them (nodemailer itself keeps only the failures and the final reply).
 */
export interface Destination {
  host: string;
  port: number;
  lmtp: boolean;
}

export interface ConnectOptions {
  hostname: string;
  timeoutMs: number;
  /** Verify the upstream certificate; opportunistic STARTTLS does not by default (like Postfix `may`). */
  verifyTls?: boolean;
}

export interface SendEnvelope {
  from: string;
  to: string[];
  /** Declared in MAIL (SIZE=) when known. */
  size?: number;
  use8BitMime: boolean;
  dsn?: { ret?: string; envid?: string; notify?: string[]; orcpt?: string };
}

export interface SendResult {
  /** Replies to MAIL, each RCPT, DATA and the final dot (one per accepted recipient for LMTP). */
  replies: SmtpReply[];
  /** nodemailer's error when the transaction failed (no reply for API and connection errors). */
  error?: Error & { code?: string; responseCode?: number };
}

export class UpstreamConnection {
  messages = 0;
  private closed = false;

  private constructor(
    readonly destination: Destination,
    private readonly conn: SMTPConnection,
    /** Every server reply so far, in order (the logger below appends to it). */
    readonly transcript: string[],
  ) {
    conn.on('end', () => {
      this.closed = true;
    });
    conn.on('error', () => {
      this.closed = true;
    });
  }

  static open(destination: Destination, options: ConnectOptions): Promise<UpstreamConnection> {
    const transcript: string[] = [];
    const capture = (entry: unknown, message: unknown) => {
      if (
        (entry as { tnx?: string } | undefined)?.tnx === 'server' &&
        typeof message === 'string'
      ) {
        transcript.push(message);
      }
    };
    const noop = () => {};
    const conn = new SMTPConnection({
      host: destination.host,
      port: destination.port,
      lmtp: destination.lmtp,
      name: options.hostname,
      opportunisticTLS: true,
      tls: { rejectUnauthorized: options.verifyTls ?? false },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      allowInternalNetworkInterfaces: true,
      transactionLog: true,
      logger: { trace: noop, debug: capture, info: noop, warn: noop, error: noop, fatal: noop },
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      conn.once('error', (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      });
      conn.connect((err?: Error) => {
        if (settled) return;
        settled = true;
        if (err) return reject(err);
        resolve(new UpstreamConnection(destination, conn, transcript));
      });
    });
  }

  /** Whether the peer's (last) EHLO reply offers `extension`, e.g. SMTPUTF8. */
  offers(extension: string): boolean {
    const ehlo = this.transcript.filter((r) => /^250[ -]/.test(r) && r.includes('\n')).at(-1) ?? '';
    return new RegExp(`^250[ -]${extension}\\b`, 'im').test(ehlo);
  }

  get usable(): boolean {
    return !this.closed && !this.conn.destroyed;
  }

  /**
   * One transaction. nodemailer reads `body` only after the 354 to DATA (and destroys it unread
   * when the envelope fails); a `body` that errors gives `ESTREAM` with the message unfinished:
   * the caller must then destroy the connection, never reuse it.
   */
  send(envelope: SendEnvelope, body: Readable): Promise<SendResult> {
    const mark = this.transcript.length;
    this.messages++;
    return new Promise((resolve) => {
      this.conn.send(
        {
          from: envelope.from || false,
          to: envelope.to,
          ...(envelope.size !== undefined && { size: envelope.size }),
          use8BitMime: envelope.use8BitMime,
          dsn: envelope.dsn,
        },
        body,
        (err) => {
          const replies = this.transcript.slice(mark).map(parseReply);
          resolve(err ? { replies, error: err } : { replies });
        },
      );
    });
  }

  /** RSET, so the connection can carry the next message after a failed one. */
  reset(): Promise<boolean> {
    return new Promise((resolve) => this.conn.reset((err) => resolve(!err)));
  }

  quit(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.quit();
  }

  destroy(): void {
    this.closed = true;
    this.conn.close();
  }
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;

/**
 * An upstream's reply line(s) as the structure the router stores, parsed once here where the
 * reply arrives as text: `250-2.0.0 first\n250 2.0.0 last` → {code: 250, enhanced: '2.0.0',
 * message: 'first\nlast'} (nodemailer joins lines with \n; RFC 2034 repeats the enhanced code
 * on every line).
 */
export function parseReply(raw: string): SmtpReply {
  const lines = raw
    .split(/\r?\n/)
    .filter(Boolean)
    .map((l) => l.slice(4));
  const code = Number(raw.slice(0, 3)) || 0;
  const enhanced = ENHANCED.exec(lines[0] ?? '')?.[1];
  if (!enhanced) return { code, message: lines.join('\n') };
  const text = lines.map((l) =>
    l.startsWith(enhanced) ? l.slice(enhanced.length).trimStart() : l,
  );
  return { code, enhanced, message: text.join('\n') };
}
