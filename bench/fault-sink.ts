/**
 * The next hop of `bench:faults`, as its own process (so the harness can SIGSTOP it): an SMTP
 * server that writes the `X-Fault-Id` of every message it takes to a log file (one line each,
 * before it answers; ` dropped` after it when the answer is withheld), and, while in drop mode (SIGUSR1 toggles it), takes the message and
 * closes the connection instead of answering the final dot — the sender cannot know it arrived.
 * Usage: node --import tsx bench/fault-sink.ts <port> <log file>
 */
import { appendFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2]);
const log = process.argv[3]!;
let drop = false;
process.on('SIGUSR1', () => {
  drop = !drop;
});

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, cb) {
    let head = '';
    stream.on('data', (c: Buffer) => {
      if (head.length < 4096) head += c.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^X-Fault-Id: (\S+)/im.exec(head)?.[1] ?? 'none';
      // a dropped one is marked: its resend is SMTP's own duplicate (RFC 1047), not Koukan's
      appendFileSync(log, drop ? `${id} dropped\n` : `${id}\n`);
      if (drop) {
        // taken, but the final dot is never answered (smtp-server's connection of this session)
        for (const c of connections()) if (c.id === session.id) c._socket.destroy();
        return;
      }
      cb();
    });
  },
});
type Connection = { id: string; _socket: { destroy(): void } };
const connections = () => (server as unknown as { connections: Set<Connection> }).connections;

// a sender that dies mid-conversation (a gateway killed -9) is not the sink's problem
server.on('error', () => {});
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
