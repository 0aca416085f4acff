import { RawSmtp } from '../../../gateway/src/testing/raw-smtp.ts';

/** How long a burst session waits for a reply (the stack may be slow under the burst). */
const REPLY_MS = 300_000;

/** Sends `line` (none: only reads the next reply) and checks the reply against `expected`. */
async function command(s: RawSmtp, line: string | undefined, expected: RegExp): Promise<string> {
  if (line !== undefined) s.write(`${line}\r\n`);
  const r = await s.reply(REPLY_MS);
  if (!expected.test(r))
    throw new Error(`${line?.split(' ')[0] ?? 'greeting'}: unexpected reply ${r}`);
  return r;
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
  const opened: RawSmtp[] = [];
  for (let first = 0; first < options.sessions; first += setup) {
    const wave = Array.from(
      { length: Math.min(setup, options.sessions - first) },
      (_, k) => first + k,
    );
    opened.push(...(await Promise.all(wave.map((i) => openOne(i)))));
  }
  async function openOne(i: number): Promise<RawSmtp> {
    const s = await RawSmtp.open(options.port);
    await command(s, undefined, /^220/);
    await command(s, 'EHLO burst.test', /^250/);
    await command(s, `MAIL FROM:<${options.from}>`, /^250/);
    await command(s, `RCPT TO:<${options.rcpt(i)}>`, /^250/);
    await command(s, 'DATA', /^354/);
    s.write(options.body(i).replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..'));
    return s;
  }
  const started = performance.now();
  for (const s of opened) s.write('\r\n.\r\n');
  options.onDataEnded?.();
  const replies = await Promise.all(
    opened.map(async (s) => {
      const r = await s.reply(REPLY_MS);
      s.write('QUIT\r\n');
      s.close();
      return r;
    }),
  );
  return { replies, lastReplyMs: performance.now() - started };
}
