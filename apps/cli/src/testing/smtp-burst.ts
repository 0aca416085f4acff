import { connect, type Socket } from 'node:net';

/** One SMTP session driven by hand, so many sessions can end DATA at the same moment. */
class Session {
  private buffer = '';
  private waiting: ((line: string) => void) | undefined;
  private readonly lines: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (let i = this.buffer.indexOf('\r\n'); i >= 0; i = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        // a reply's last line is "ddd text"; continuation lines are "ddd-text"
        if (/^\d{3}-/.test(line)) continue;
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w(line);
        } else this.lines.push(line);
      }
    });
  }

  static open(port: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Session(socket)));
      socket.once('error', reject);
    });
  }

  /** The next complete reply (its last line). */
  reply(): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.socket.once('close', () => reject(new Error('connection closed')));
    });
  }

  async command(line: string, expected: RegExp): Promise<string> {
    this.socket.write(`${line}\r\n`);
    const r = await this.reply();
    if (!expected.test(r)) throw new Error(`${line.split(' ')[0]}: unexpected reply ${r}`);
    return r;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.end('QUIT\r\n');
  }
}

export interface BurstResult {
  /** The DATA reply of each session. */
  replies: string[];
  /** When the last DATA reply came, in ms after the final dots were sent. */
  lastReplyMs: number;
}

/**
 * Opens `sessions` SMTP sessions to `port`, takes each up to the end of its message (MAIL,
 * RCPT `rcpt(i)`, DATA, the body) and then ends DATA on all of them at once; resolves with
 * every DATA reply.
 */
export async function smtpBurst(options: {
  port: number;
  sessions: number;
  from: string;
  rcpt: (i: number) => string;
  body: (i: number) => string;
  /** Sessions set up at once before the burst (default 20). */
  setupConcurrency?: number;
  /** Called once every session has ended DATA (the replies are still to come). */
  onDataEnded?: () => void;
}): Promise<BurstResult> {
  // Sessions are set up a few at a time (as mail arrives), then all end DATA together.
  const setup = options.setupConcurrency ?? 20;
  const opened: Session[] = [];
  for (let first = 0; first < options.sessions; first += setup) {
    const wave = Array.from(
      { length: Math.min(setup, options.sessions - first) },
      (_, k) => first + k,
    );
    opened.push(...(await Promise.all(wave.map((i) => openOne(i)))));
  }
  async function openOne(i: number): Promise<Session> {
    const s = await Session.open(options.port);
    await s.reply().then((greeting) => {
      if (!greeting.startsWith('220')) throw new Error(`greeting: ${greeting}`);
    });
    await s.command('EHLO burst.test', /^250/);
    await s.command(`MAIL FROM:<${options.from}>`, /^250/);
    await s.command(`RCPT TO:<${options.rcpt(i)}>`, /^250/);
    await s.command('DATA', /^354/);
    s.write(options.body(i).replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..'));
    return s;
  }
  const started = performance.now();
  for (const s of opened) s.write('\r\n.\r\n');
  options.onDataEnded?.();
  const replies = await Promise.all(
    opened.map(async (s) => {
      const r = await s.reply();
      s.close();
      return r;
    }),
  );
  return { replies, lastReplyMs: performance.now() - started };
}
