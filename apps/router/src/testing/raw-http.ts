import http from 'node:http';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  json: any;
}

/**
 * A PUT over a real socket that writes `parts` one after another, optionally pausing
 * (`pause` ms) before the end or destroying the socket instead of finishing (`abort`).
 */
export function rawPut(
  url: string,
  headers: Record<string, string | number>,
  parts: Buffer[],
  options: { abort?: boolean; pauseMs?: number } = {},
): Promise<RawResponse | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.on('error', (err) => (options.abort ? resolve('aborted') : reject(err)));
    (async () => {
      for (const p of parts) {
        if (!req.write(p)) await new Promise((r) => req.once('drain', r));
      }
      if (options.abort) {
        await new Promise((r) => setTimeout(r, 200));
        req.destroy();
        resolve('aborted');
        return;
      }
      if (options.pauseMs) return; // leave the request hanging: the server must time it out
      req.end();
    })().catch(reject);
  });
}

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far (latin1). */
  readonly received: string;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  /** Resolves with the first complete response (status line, headers, Content-Length body). */
  response(): Promise<{ status: number; head: string; body: string }>;
}

/** A plain TCP connection to an HTTP server, to send what no HTTP client would. */
export function rawConnection(url: string): RawConnection {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  socket.setEncoding('latin1');
  socket.on('error', () => {});
  let received = '';
  const listeners = new Set<() => void>();
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const l of listeners) l();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const parse = () => {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = received.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (received.length < end + 4 + length) return undefined;
    const status = Number(head.slice(9, 12));
    return { status, head, body: received.slice(end + 4, end + 4 + length) };
  };
  return {
    socket,
    get received() {
      return received;
    },
    closed,
    response: () =>
      new Promise((resolve, reject) => {
        const check = () => {
          const r = parse();
          if (r) {
            listeners.delete(check);
            resolve(r);
          }
        };
        listeners.add(check);
        check();
        void closed.then(() => {
          check();
          if (listeners.has(check)) reject(new Error(`closed without a response: ${received}`));
        });
      }),
  };
}
