import { connect, createServer, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * The gateway relies on three changes to smtp-server 3.21.6 (pinned; the patch is
 * patches/smtp-server+3.21.6.patch, applied by `patch-package` at install, see
 * patches/README.md): the `greetingDelay` option, the `onReset` hook, and a reply text that
 * starts with its own enhanced status code not getting a second one — plus the text of a 250 to
 * MAIL or RCPT given as the hook callback's second argument.
 *
 * This runs one short session over loopback with a throw-away server and says which change is
 * missing: the gateway refuses to start without them rather than answer "550 5.0.0 5.1.1 …" or
 * keep a router transaction open after RSET.
 */
export async function assertSmtpServerPatched(): Promise<void> {
  const missing: string[] = [];
  let connected = false;
  let resets = 0;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    hideENHANCEDSTATUSCODES: false,
    authOptional: true,
    greetingDelay: 0,
    onConnect: (_s, cb) => {
      connected = true;
      cb();
    },
    onMailFrom: (_a, _s, cb) => cb(null, '2.1.0 Sender check'),
    onRcptTo: (_a, _s, cb) =>
      cb(Object.assign(new Error('5.1.1 Recipient check'), { responseCode: 550 })),
    onReset: () => {
      resets++;
    },
  });
  const { client, accepted, close } = await socketPair();
  try {
    server.connect(accepted);
    // greetingDelay 0 greets at once; without it the greeting waits for smtp-server's 100 ms timer
    if (!connected) missing.push('greetingDelay option');
    const transcript = await converse(client, [
      'EHLO check',
      'MAIL FROM:<a@check.invalid>',
      'RCPT TO:<b@check.invalid>',
      'RSET',
      'QUIT',
    ]);
    if (!transcript.includes('250 2.1.0 Sender check')) missing.push('250 text from onMailFrom');
    if (!transcript.includes('550 5.1.1 Recipient check')) {
      missing.push('no second enhanced status code');
    }
    if (resets === 0) missing.push('onReset hook');
  } finally {
    client.destroy();
    close();
  }
  if (missing.length > 0) {
    throw new Error(
      `smtp-server is not patched (missing: ${missing.join(', ')}): run \`npm ci\` (its postinstall applies patches/smtp-server+*.patch) and see patches/README.md`,
    );
  }
}

/** A connected loopback socket pair (the accepted end is handed to smtp-server). */
async function socketPair(): Promise<{ client: Socket; accepted: Socket; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  const acceptedP = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  const accepted = await acceptedP;
  return { client, accepted, close: () => listener.close() };
}

/** Sends the commands (pipelined, after the greeting) and resolves with every reply line. */
function converse(client: Socket, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    let sent = false;
    const timer = setTimeout(() => reject(new Error('smtp-server check: no answer')), 10_000);
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      text += chunk;
      if (!sent && text.includes('\r\n')) {
        sent = true;
        client.write(`${commands.join('\r\n')}\r\n`);
      }
    });
    client.on('error', reject);
    client.on('close', () => {
      clearTimeout(timer);
      resolve(text.split('\r\n'));
    });
  });
}
