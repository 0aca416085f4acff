import type { Readable } from 'node:stream';
import type { SmtpReply } from '../router-client.ts';
import { SmtpClient, SmtpClientError } from './smtp-client.ts';

export { parseReply } from './smtp-client.ts';

/**
 * One SMTP/LMTP connection to a next hop (smtp-client.ts), whose transactions report every
 * reply of the server as it gave it: MAIL, each RCPT, DATA and the final one(s).
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
  /**
   * Set when the transaction did not end in success: refused (EENVELOPE, EMESSAGE; with no
   * replies, refused before anything was sent), the connection lost (ECONNECTION, ETIMEDOUT),
   * or the body failed mid-DATA (ESTREAM).
   */
  error?: Error & { code?: string };
}

const ok = (r: SmtpReply) => r.code >= 200 && r.code < 300;
const nonAscii = /[^\p{ASCII}]/u;

export class UpstreamConnection {
  messages = 0;

  private constructor(
    readonly destination: Destination,
    private readonly client: SmtpClient,
  ) {}

  static async open(
    destination: Destination,
    options: ConnectOptions,
  ): Promise<UpstreamConnection> {
    const client = await SmtpClient.connect({ ...destination, ...options });
    return new UpstreamConnection(destination, client);
  }

  /** Whether the peer's (last) EHLO reply offers `extension`, e.g. SMTPUTF8. */
  offers(extension: string): boolean {
    return this.client.extensions.has(extension.toUpperCase());
  }

  get usable(): boolean {
    return !this.client.closed;
  }

  /**
   * One transaction. `body` is read only after the 354 to DATA (and destroyed unread when the
   * envelope fails); a `body` that errors gives ESTREAM with the message unfinished and the
   * connection destroyed.
   */
  async send(envelope: SendEnvelope, body: Readable): Promise<SendResult> {
    this.messages++;
    const replies: SmtpReply[] = [];
    try {
      const commands = this.envelopeCommands(envelope);
      const c = this.client;
      const pipelined = c.extensions.has('PIPELINING');
      let accepted = 0;
      if (pipelined) c.write(...commands, 'DATA');
      for (const [i, line] of commands.entries()) {
        const reply = await (pipelined ? c.next() : c.command(line));
        replies.push(reply);
        if (i === 0 && !ok(reply) && !pipelined) return this.refused(replies, 'EENVELOPE', body);
        if (i > 0 && ok(reply)) accepted++;
      }
      if (accepted === 0 || !ok(replies[0]!)) {
        // a server that takes DATA without a recipient is in the message now: not reusable
        if (pipelined && (await c.next()).code === 354) c.destroy();
        return this.refused(replies, 'EENVELOPE', body);
      }
      const data = await (pipelined ? c.next() : c.command('DATA'));
      replies.push(data);
      if (data.code !== 354) return this.refused(replies, 'EMESSAGE', body);
      const finals = this.destination.lmtp ? accepted : 1;
      await c.writeBody(body, finals);
      for (let k = 0; k < finals; k++) replies.push(await c.next());
      if (!replies.slice(-finals).every(ok)) {
        return { replies, error: new SmtpClientError('EMESSAGE', 'Message refused') };
      }
      return { replies };
    } catch (err) {
      body.destroy();
      if (!(err instanceof SmtpClientError)) throw err;
      return { replies, error: err };
    }
  }

  /** RSET, so the connection can carry the next message after a failed one. */
  async reset(): Promise<boolean> {
    try {
      return ok(await this.client.command('RSET'));
    } catch {
      return false;
    }
  }

  quit(): void {
    this.client.quit();
  }

  destroy(): void {
    this.client.destroy();
  }

  /** MAIL and each RCPT with the parameters the peer offers; EENVELOPE for a bad address. */
  private envelopeCommands(e: SendEnvelope): string[] {
    for (const address of [e.from, ...e.to]) {
      if (/[\r\n<>]/.test(address)) {
        throw new SmtpClientError('EENVELOPE', `Invalid address ${JSON.stringify(address)}`);
      }
    }
    if (e.to.length === 0) throw new SmtpClientError('EENVELOPE', 'No recipients');
    const max = Number(this.client.extensions.get('SIZE')) || 0;
    if (max && e.size && e.size > max) {
      throw new SmtpClientError('EMESSAGE', `Message size larger than allowed ${max}`);
    }
    const has = (ext: string) => this.client.extensions.has(ext);
    const dsn = has('DSN') ? e.dsn : undefined;
    const mail = [`MAIL FROM:<${e.from}>`];
    if (has('SMTPUTF8') && [e.from, ...e.to].some((a) => nonAscii.test(a))) mail.push('SMTPUTF8');
    if (e.use8BitMime && has('8BITMIME')) mail.push('BODY=8BITMIME');
    if (e.size && has('SIZE')) mail.push(`SIZE=${e.size}`);
    if (dsn?.ret) mail.push(`RET=${xtext(dsn.ret)}`);
    if (dsn?.envid) mail.push(`ENVID=${xtext(dsn.envid)}`);
    const rcptArgs = [
      ...(dsn?.notify ? [`NOTIFY=${dsn.notify.join(',')}`] : []),
      ...(dsn?.orcpt
        ? [`ORCPT=${xtext(dsn.orcpt.includes(';') ? dsn.orcpt : `rfc822;${dsn.orcpt}`)}`]
        : []),
    ];
    return [mail.join(' '), ...e.to.map((to) => [`RCPT TO:<${to}>`, ...rcptArgs].join(' '))];
  }

  private refused(
    replies: SmtpReply[],
    code: 'EENVELOPE' | 'EMESSAGE',
    body: Readable,
  ): SendResult {
    body.destroy();
    return { replies, error: new SmtpClientError(code, 'Refused by the server') };
  }
}

/** RFC 3461 xtext: "+", "=", controls and non-ASCII as +XX. */
function xtext(value: string): string {
  return value.replace(
    /[^\x21-\x2a\x2c-\x3c\x3e-\x7e]/g,
    (c) => `+${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
