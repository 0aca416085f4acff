import { connect as netConnect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { replyText, type SmtpReply } from '../router-client.ts';

/**
 * A small SMTP/LMTP client: each command's reply is handed back whole, parsed once here where
 * it arrives as text (`{code, enhanced?, message}`, lines joined with \n), in the order the commands were written, so a
 * pipelined batch gets its replies one by one. Connecting greets, says EHLO (LHLO), falls back
 * to HELO, and upgrades with STARTTLS when offered (opportunistic; certificates checked only when
 * asked). One timeout bounds the connect, the greeting and every wait for the server.
 */
export interface ClientOptions {
  host: string;
  port: number;
  lmtp: boolean;
  /** Our name in EHLO. */
  hostname: string;
  timeoutMs: number;
  verifyTls?: boolean;
}

export type SmtpErrorCode =
  | 'ECONNECTION'
  | 'ETIMEDOUT'
  | 'EPROTOCOL'
  | 'EENVELOPE'
  | 'EMESSAGE'
  | 'ESTREAM';

export class SmtpClientError extends Error {
  constructor(
    readonly code: SmtpErrorCode,
    message: string,
    /** The reply that caused it (a refused greeting), as `NNN text`. */
    readonly response?: string,
    readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'SmtpClientError';
  }
}

type Waiter = { resolve: (r: SmtpReply) => void; reject: (e: Error) => void };

export class SmtpClient {
  /** EHLO keywords (upper case) with their parameters, e.g. SIZE → "10240000". */
  extensions = new Map<string, string>();
  secure = false;
  private socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private readonly waiters: Waiter[] = [];
  /** Replies still owed for the commands written. */
  private owed = 0;
  private failure: SmtpClientError | undefined;

  private constructor(
    socket: Socket,
    private readonly options: ClientOptions,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Connects, reads the greeting, EHLO/LHLO (HELO), STARTTLS when offered. */
  static async connect(options: ClientOptions): Promise<SmtpClient> {
    const socket = netConnect({ host: options.host, port: options.port });
    const client = new SmtpClient(socket, options);
    client.owed = 1; // the greeting
    try {
      const greeting = await client.next();
      if (greeting.code !== 220) {
        const raw = `${greeting.code} ${replyText(greeting)}`;
        throw new SmtpClientError('EPROTOCOL', `Refused at greeting: ${raw}`, raw, greeting.code);
      }
      await client.hello();
      if (client.extensions.has('STARTTLS') && !options.lmtp) {
        const reply = await client.command('STARTTLS');
        if (reply.code === 220) {
          await client.upgrade();
          await client.hello();
        }
      }
      return client;
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  get closed(): boolean {
    return this.failure !== undefined || this.socket.destroyed;
  }

  /** Writes command lines (a pipelined batch in one write); their replies are owed (`next`). */
  write(...lines: string[]): void {
    this.owed += lines.length;
    this.socket.write(`${lines.join('\r\n')}\r\n`);
  }

  /** One command and its reply. */
  command(line: string): Promise<SmtpReply> {
    this.write(line);
    return this.next();
  }

  /** The next reply, in command order. */
  next(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Writes a message body (dot-stuffed, line ends made CRLF) and the final dot, with the
   * socket's backpressure. A body that fails leaves the message unfinished and the connection
   * destroyed (ESTREAM): the server never gets the final dot of a partial message.
   */
  async writeBody(body: Readable, finalReplies: number): Promise<void> {
    const stuffer = new DotStuffer();
    // each chunk is written once the next one came, the last with the final dot (one write
    // for a small message)
    let last: Buffer | undefined;
    try {
      for await (const chunk of body) {
        if (this.failure) throw this.failure;
        if (last && !this.socket.write(last)) await this.drained();
        last = stuffer.push(chunk as Buffer);
      }
    } catch (err) {
      if (err === this.failure) throw err;
      const failure = new SmtpClientError('ESTREAM', (err as Error).message);
      this.fail(failure);
      throw failure;
    }
    this.owed += finalReplies;
    this.socket.cork();
    if (last) this.socket.write(last);
    this.socket.write(stuffer.end());
    this.socket.uncork();
  }

  quit(): void {
    if (this.closed) return;
    this.write('QUIT');
    this.socket.end();
    this.failure = new SmtpClientError('ECONNECTION', 'Connection closed (QUIT)');
  }

  destroy(): void {
    this.fail(new SmtpClientError('ECONNECTION', 'Connection closed'));
  }

  private async hello(): Promise<void> {
    const verb = this.options.lmtp ? 'LHLO' : 'EHLO';
    let reply = await this.command(`${verb} ${this.options.hostname}`);
    if (reply.code !== 250 && !this.options.lmtp) {
      reply = await this.command(`HELO ${this.options.hostname}`);
    }
    if (reply.code !== 250) {
      throw new SmtpClientError(
        'EPROTOCOL',
        `Refused at ${verb}: ${reply.code} ${replyText(reply)}`,
      );
    }
    this.extensions = new Map(
      reply.message
        .split('\n')
        .slice(1)
        .map((line) => {
          const [keyword = '', ...params] = line.trim().split(/\s+/);
          return [keyword.toUpperCase(), params.join(' ')] as const;
        }),
    );
  }

  private async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data').removeAllListeners('close').removeAllListeners('error');
    plain.removeAllListeners('timeout');
    plain.setTimeout(0);
    const isIp = /^[\d.]+$|:/.test(this.options.host);
    const secure = tlsConnect({
      socket: plain,
      ...(!isIp && { servername: this.options.host }),
      rejectUnauthorized: this.options.verifyTls ?? false,
    });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.secure = true;
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.options.timeoutMs);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('timeout', () => {
      this.fail(new SmtpClientError('ETIMEDOUT', `No answer in ${this.options.timeoutMs} ms`));
    });
    socket.on('error', (err) => this.fail(new SmtpClientError('ECONNECTION', err.message)));
    socket.on('close', () => this.fail(new SmtpClientError('ECONNECTION', 'Connection closed')));
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (let end = this.buffer.indexOf(0x0a); end >= 0; end = this.buffer.indexOf(0x0a)) {
      const line = this.buffer.subarray(0, end).toString('utf8').replace(/\r$/, '');
      this.buffer = this.buffer.subarray(end + 1);
      if (!/^\d{3}(?:[ -]|$)/.test(line)) {
        this.fail(new SmtpClientError('EPROTOCOL', `Not an SMTP reply: ${line.slice(0, 80)}`));
        return;
      }
      this.lines.push(line);
      if (line[3] === '-') continue;
      const lines = this.lines;
      this.lines = [];
      this.deliver(parseReply(lines.join('\n')));
    }
    if (this.buffer.length > 64 * 1024) {
      this.fail(new SmtpClientError('EPROTOCOL', 'Reply too long'));
    }
  }

  private deliver(reply: SmtpReply): void {
    if (this.owed === 0) {
      // nothing was asked (a 421 to an idle connection): this connection is over
      this.fail(new SmtpClientError('EPROTOCOL', `Unexpected reply: ${reply.code}`));
      return;
    }
    this.owed--;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.replies.push(reply);
  }

  private fail(failure: SmtpClientError): void {
    if (!this.failure) this.failure = failure;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    this.socket.destroy();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.on('drain', done).on('close', done);
    });
  }
}

/**
 * A message body as DATA carries it: a dot at the start of a line doubled, every line end CRLF,
 * and `end()` the final `.` (after a CRLF when the body did not end with one).
 */
export class DotStuffer {
  /** The last byte given, across chunks (a line feed before the first: it starts a line). */
  private last = 0x0a;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const parts: Buffer[] = [];
    let from = 0;
    // a dot opening a line whose line feed ended the previous chunk
    if (chunk[0] === 0x2e && this.last === 0x0a) parts.push(DOT);
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, lf + 1)) {
      if ((lf > 0 ? chunk[lf - 1] : this.last) !== 0x0d) {
        parts.push(chunk.subarray(from, lf), CR);
        from = lf;
      }
      if (chunk[lf + 1] === 0x2e) {
        parts.push(chunk.subarray(from, lf + 1), DOT);
        from = lf + 1;
      }
    }
    this.last = chunk[chunk.length - 1]!;
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }

  end(): string {
    return this.last === 0x0a ? '.\r\n' : '\r\n.\r\n';
  }
}

const DOT = Buffer.from('.');
const CR = Buffer.from('\r');

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;

/**
 * An upstream's reply line(s) as the structure the router stores, parsed once here where the
 * reply arrives as text: `250-2.0.0 first\n250 2.0.0 last` → {code: 250, enhanced: '2.0.0',
 * message: 'first\nlast'} (SmtpClient joins lines with \n; RFC 2034 repeats the enhanced code
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
