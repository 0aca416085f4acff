/**
 * Two inbound listeners in front of the scripted router, for driving with external tools
 * (smtp-source, swaks); prints their ports and runs until interrupted:
 *
 *   node --import tsx apps/gateway/src/bench/serve-fake.ts &
 *   time smtp-source -s 1 -m 200 127.0.0.1:<port>      # a new connection per message
 *   time smtp-source -d -s 1 -m 200 127.0.0.1:<port>   # one connection reused
 */
import { startInbound } from '../testing/inbound.ts';

const paused = await startInbound({ greetPauseMs: 100, maxClientsPerIp: 1000 });
const immediate = await startInbound({ greetPauseMs: 0, maxClientsPerIp: 1000 });
process.stdout.write(
  `${JSON.stringify({ greetPauseOn: paused.port, greetPauseOff: immediate.port })}\n`,
);
process.once('SIGTERM', () => {
  void Promise.all([paused.stop(), immediate.stop()]).then(() => process.exit(0));
});
