/**
 * Greeting latency and per-message cost of an inbound listener, with and without the greet
 * pause, with and without connection reuse, against the scripted router (no network, no DB):
 *
 *   node --import tsx apps/gateway/src/bench/greeting.ts [messages=200]
 */
import { startInbound } from '../testing/inbound.ts';
import { RawSmtp } from '../testing/raw-smtp.ts';

const N = Number(process.argv[2] ?? 200);
const MSG = 'From: a@example.org\r\nSubject: bench\r\n\r\nhello\r\n.\r\n';

async function transaction(c: RawSmtp): Promise<void> {
  c.write('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@localhost>\r\nDATA\r\n');
  for (let i = 0; i < 3; i++) await c.reply();
  c.write(MSG);
  const r = await c.reply();
  if (!r.startsWith('250')) throw new Error(r);
}

const ms = (t0: number) => performance.now() - t0;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
  return `median ${pick(0.5)} ms, p95 ${pick(0.95)} ms`;
};

for (const greetPause of [true, false]) {
  const gw = await startInbound({ greetPauseMs: greetPause ? 100 : 0 });
  const greet: number[] = [];
  const perMessageNew: number[] = [];
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    const c = await RawSmtp.open(gw.port);
    await c.reply();
    greet.push(ms(start));
    await c.cmd('EHLO bench.test');
    await transaction(c);
    await c.cmd('QUIT');
    c.close();
    perMessageNew.push(ms(start));
  }
  const newConnTotal = ms(t0);
  const c = await RawSmtp.open(gw.port);
  await c.reply();
  await c.cmd('EHLO bench.test');
  const perMessageReuse: number[] = [];
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    await transaction(c);
    perMessageReuse.push(ms(start));
  }
  const reuseTotal = ms(t0);
  c.close();
  const label = greetPause ? 'greet pause on (MX)' : 'greet pause off (MSA)';
  process.stdout.write(
    `${label}: greeting ${stats(greet)}\n` +
      `  new connection per message: ${stats(perMessageNew)}, ${(N / (newConnTotal / 1000)).toFixed(0)} msg/s\n` +
      `  one connection reused:      ${stats(perMessageReuse)}, ${(N / (reuseTotal / 1000)).toFixed(0)} msg/s\n`,
  );
  await gw.stop();
}
