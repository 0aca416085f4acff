import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/**
 * A raw-socket SMTP script driver for tests: write exactly the bytes a test wants (pipelined,
 * smuggled, malformed) and read the replies one by one.
 */
export class RawSmtp {
  private buffer = '';
  private readonly waiting: (() => void)[] = [];
  closed = false;
  /** Socket reads so far (replies written together arrive in one). */
  reads = 0;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  /** `localAddress`: the client's own loopback address (Linux routes all of 127/8 to lo). */
  static async open(
    port: number,
    options: { tls?: boolean; localAddress?: string } = {},
  ): Promise<RawSmtp> {
    const to = { port, host: '127.0.0.1', localAddress: options.localAddress };
    const socket = options.tls ? tlsConnect({ ...to, rejectUnauthorized: false }) : connect(to);
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawSmtp(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.reads++;
      this.buffer += d.toString('binary');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** The next complete reply (all lines of a multi-line one), or '' once the peer closed. */
  async reply(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.buffer.match(/^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (this.closed) return '';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (have ${this.buffer})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(raw: string | Buffer): void {
    this.socket.write(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
  }

  async cmd(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS and the handshake; replies read afterwards come over TLS. */
  async starttls(): Promise<string> {
    const r = await this.cmd('STARTTLS');
    if (!r.startsWith('220')) return r;
    await this.starttlsAfterReply();
    return r;
  }

  /** The TLS handshake after a 220 to STARTTLS read separately (pipelining tests). */
  readonly starttlsAfterReply = async (): Promise<void> => {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = tlsConnect({ socket: raw as Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.attach(secure);
  };

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  close(): void {
    this.socket.destroy();
  }
}
