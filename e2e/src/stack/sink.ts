import { randomUUID } from 'node:crypto';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** What the sink answers a recipient with: `accept`, `defer` (451) or `reject` (550). */
export type SinkAction = 'accept' | 'defer' | 'reject';

export interface SinkMessage {
  /** The id in the sink's 250 reply (`250 e2e-sink queued as <id>`). */
  id: string;
  from: string;
  to: string[];
  data: string;
  reply: string;
}

export interface SmtpListener<M> {
  port: number;
  messages: M[];
  close(): Promise<void>;
}

export interface Sink extends SmtpListener<SinkMessage> {
  /** Sets the answer for a recipient address or a whole domain (`accept` clears the rule). */
  setRule(target: string, action: SinkAction): void;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

async function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.server.address() as { port: number }).port;
}

/** What a listener received: the envelope and the message. */
type Received = { from: string; to: string[]; data: string };

/** An SMTP server with no TLS or AUTH that keeps what `keep` makes of each message. */
async function startListener<M>(
  options: SMTPServerOptions,
  port: number,
  host: string,
  keep: (received: Received) => { message: M; reply?: string },
): Promise<SmtpListener<M>> {
  const messages: M[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    ...options,
    onData(stream, session, cb) {
      collect(stream).then((data) => {
        const { message, reply } = keep({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        messages.push(message);
        cb(null, reply);
      }, cb);
    },
  });
  return {
    port: await listen(server, port, host),
    messages,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * The internet, for the e2e stack: the default chains' smarthost. Each recipient is answered by
 * its rule (address first, then domain), accepted by default; accepted mail is kept.
 */
export async function startSink(port = 0, host = '127.0.0.1'): Promise<Sink> {
  const rules = new Map<string, SinkAction>();
  const options: SMTPServerOptions = {
    name: 'sink.e2e.localhost',
    onRcptTo(address, _session, cb) {
      const rcpt = address.address.toLowerCase();
      const action = rules.get(rcpt) ?? rules.get(rcpt.split('@')[1] ?? '') ?? 'accept';
      if (action === 'defer') return cb(smtpError(451, '4.3.2 e2e-sink: deferred, try later'));
      if (action === 'reject') return cb(smtpError(550, '5.1.1 e2e-sink: no such mailbox'));
      cb();
    },
  };
  const sink = await startListener<SinkMessage>(options, port, host, (received) => {
    const id = randomUUID();
    const reply = `e2e-sink queued as ${id}`;
    return { message: { id, ...received, reply }, reply };
  });
  return {
    ...sink,
    setRule(target, action) {
      if (action === 'accept') rules.delete(target.toLowerCase());
      else rules.set(target.toLowerCase(), action);
    },
  };
}

export type LmtpMessage = Received;

/** A mailbox server speaking LMTP (RFC 2033): one reply per recipient after DATA. */
export function startLmtp(port = 0, host = '127.0.0.1'): Promise<SmtpListener<LmtpMessage>> {
  const options = { lmtp: true, name: 'lmtp.e2e.localhost' };
  return startListener(options, port, host, (message) => ({ message }));
}
