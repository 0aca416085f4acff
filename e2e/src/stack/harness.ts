import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { LmtpMessage, Sink, SinkAction, SmtpListener } from './sink.ts';

export interface HarnessParts {
  sink: Sink;
  lmtp: SmtpListener<LmtpMessage>;
  /** The example receiver's output: one parsed JSON object per inbound message. */
  receiverMessages(): Promise<unknown[]>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

const actions = new Set<SinkAction>(['accept', 'defer', 'reject']);

/**
 * The test workers' handle on the parts that live in Playwright's main process (the SMTP sink,
 * the LMTP server, the receiver's output): a small HTTP API on loopback.
 *
 *   PUT /sink/rules   {"target": "a@b" | "b", "action": "accept" | "defer" | "reject"}
 *   GET /sink/messages | /lmtp/messages | /receiver/messages
 */
export async function startHarness(parts: HarnessParts): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const route = `${req.method} ${req.url}`;
    (async () => {
      if (route === 'PUT /sink/rules') {
        const body = (await readJson(req)) as { target?: unknown; action?: unknown };
        if (typeof body.target !== 'string' || !body.target) {
          return send(400, { error: 'target: an address or a domain' });
        }
        if (!actions.has(body.action as SinkAction)) {
          return send(400, { error: 'action: accept, defer or reject' });
        }
        parts.sink.setRule(body.target, body.action as SinkAction);
        return send(200, { ok: true });
      }
      if (route === 'GET /sink/messages') return send(200, parts.sink.messages);
      if (route === 'GET /lmtp/messages') return send(200, parts.lmtp.messages);
      if (route === 'GET /receiver/messages') return send(200, await parts.receiverMessages());
      send(404, { error: `no route ${route}` });
    })().catch((err: unknown) => send(500, { error: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}
