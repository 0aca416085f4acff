/**
 * Outbound: REST create (inline body) → SMTP delivery to a local smtp-server sink → long-poll
 * until done; sequential and 8 concurrent, reporting how many upstream connections were used:
 *
 *   node --import tsx apps/gateway/src/bench/outbound.ts [messages=200]
 */
import { startOutbound } from '../testing/outbound.ts';
import { Sink } from '../testing/sink.ts';

const N = Number(process.argv[2] ?? 200);
const sink = await new Sink().start();
const g = await startOutbound({ maxPerDestination: 4 });
const one = async (i: number) => {
  const c = await g.call('POST', '/v1/senders/bench/transactions', {
    mail_from: { m: 'a@example.org' },
    rcpt_to: [{ m: `r${i}@example.net` }],
    remote_hosts: [{ host: '127.0.0.1', port: sink.port }],
    body: { inline: `Subject: bench ${i}\r\n\r\nhello\r\n` },
  });
  const t = await g.waitDone(c.json.id);
  if (t.data_response?.code !== 250) throw new Error(JSON.stringify(t));
};
let t0 = performance.now();
for (let i = 0; i < N; i++) await one(i);
const seq = performance.now() - t0;
t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < N) await one(next++);
  }),
);
const par = performance.now() - t0;
process.stdout.write(
  `sequential: ${(seq / N).toFixed(2)} ms/message, ${(N / (seq / 1000)).toFixed(0)} msg/s\n` +
    `8 concurrent: ${(N / (par / 1000)).toFixed(0)} msg/s\n` +
    `upstream connections opened: ${sink.connections} for ${sink.received.length} messages\n`,
);
await g.stop();
await sink.close();
