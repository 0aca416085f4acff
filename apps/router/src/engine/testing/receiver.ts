import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  body: { transaction_id: string; attempt_id: string; rcpt: string[]; runner: string };
  req: IncomingMessage;
  res: ServerResponse;
  /** Answers the request with SMTP-shaped JSON. */
  reply(answer: Record<string, unknown>): void;
  /** Resolves when the client went away before an answer (aborted attempt, killed process). */
  clientGone: Promise<void>;
}

export const accepted = {
  mail: { code: 250, enhanced: '2.1.0', message: 'ok' },
  rcpt: [{ code: 250, enhanced: '2.1.5', message: 'ok' }],
  data: { code: 250, enhanced: '2.0.0', message: 'queued' },
};

/**
 * A real REST receiver on port 0 standing in for the upstream: every request is handed to
 * `onRequest`, which answers it now, later, or never, as the test decides.
 */
export async function startReceiver(onRequest: (r: ReceivedRequest) => void) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let answered = false;
      const clientGone = new Promise<void>((resolve) => {
        res.on('close', () => {
          if (!answered) resolve();
        });
      });
      const r: ReceivedRequest = {
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        req,
        res,
        clientGone,
        reply(answer) {
          if (answered || res.destroyed) return;
          answered = true;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        },
      };
      requests.push(r);
      onRequest(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/deliver`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
