import net from 'node:net';

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
