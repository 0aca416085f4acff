import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataResult } from 'smtp-server';

/** A real SMTP/LMTP peer on port 0 (smtp-server) that records what it receives and answers as told. */
export interface SinkScript {
  lmtp?: boolean;
  /** Offer neither SMTPUTF8 nor 8BITMIME nor STARTTLS (an old peer). */
  plain?: boolean;
  /** Error text for MAIL/RCPT (first 3 chars are the code), undefined to accept; MAIL's may
   * come later (a promise: the reply waits for it). */
  mail?: (from: string) => string | undefined | Promise<string | undefined>;
  rcpt?: (to: string) => string | undefined;
  /** SMTP: the final reply text for 250 (or an error 'NNN text'); LMTP: per recipient. */
  data?: (to: string) => string | undefined;
  /** Wait this long before answering the end of DATA. */
  dataDelayMs?: number;
}

export interface Received {
  from: string;
  to: string[];
  body: string;
  connection: string;
  secure: boolean;
  smtpUtf8: boolean;
  bodyType: string;
  helo: string;
}

const fail = (text: string) =>
  Object.assign(new Error(text.slice(4)), { responseCode: Number(text.slice(0, 3)) });

export class Sink {
  port = 0;
  readonly received: Received[] = [];
  connections = 0;
  open = 0;
  maxOpen = 0;
  /** DATA bytes received so far, counted as they stream in (before the end of the message). */
  dataBytes = 0;
  private readonly server: SMTPServer;

  constructor(script: SinkScript = {}) {
    this.server = new SMTPServer({
      lmtp: script.lmtp ?? false,
      authOptional: true,
      disabledCommands: ['AUTH'],
      disableReverseLookup: true,
      logger: false,
      hideDSN: false,
      ...(script.plain && { hideSMTPUTF8: true, hide8BITMIME: true, hideSTARTTLS: true }),
      onConnect: (_s, cb) => {
        this.connections++;
        this.maxOpen = Math.max(this.maxOpen, ++this.open);
        cb();
      },
      onClose: () => {
        this.open--;
      },
      onMailFrom: (a, _s, cb) => {
        void Promise.resolve(script.mail?.(a.address)).then((err) =>
          cb(err ? fail(err) : undefined),
        );
      },
      onRcptTo: (a, _s, cb) => {
        const err = script.rcpt?.(a.address);
        cb(err ? fail(err) : undefined);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => {
          this.dataBytes += c.length;
          chunks.push(c);
        });
        stream.on('end', () => setTimeout(finish, script.dataDelayMs ?? 0));
        const finish = () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to,
            body: Buffer.concat(chunks).toString(),
            connection: session.id,
            secure: session.secure,
            smtpUtf8: Boolean(session.envelope.smtpUtf8),
            bodyType: session.envelope.bodyType ?? '7bit',
            helo: session.hostNameAppearsAs,
          });
          if (script.lmtp) {
            const results: SMTPServerDataResult[] = to.map((r) => {
              const text = script.data?.(r);
              return text && /^[45]/.test(text) ? fail(text) : (text ?? `OK ${r}`);
            });
            return cb(null, results);
          }
          const text = script.data?.(to[0] ?? '');
          if (text && /^[45]/.test(text)) return cb(fail(text));
          cb(null, text ?? 'OK queued');
        };
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.options.closeTimeout = 100;
    return new Promise((r) => this.server.close(() => r()));
  }
}
