import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { TurnQueue } from './turn-queue.ts';

export interface EmbeddedOptions {
  /** Folder for the data; omitted means in memory (tests). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://…` URL every component connects to with the ordinary `pg` driver. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts PGlite and serves it over the PostgreSQL wire protocol, so that every component uses
 * the same `pg` code path as against a real server. Transactions of different connections are
 * serialised (see TurnQueue) and LISTEN/NOTIFY does not cross connections.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // pg_trgm serves the console's address search (migration 0004 creates the extension).
  const extensions = { pg_trgm };
  const db = await PGlite.create(
    options.dataDir ? { dataDir: options.dataDir, extensions } : { extensions },
  );
  const queue = new TurnQueue(db);
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 100;
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    if (sockets.size >= maxConnections) {
      socket.end();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({
      // The handler only calls enqueue / clearQueueForHandler / clearTransactionIfNeeded.
      queryQueue: queue as unknown as ConstructorParameters<
        typeof PGLiteSocketHandler
      >[0]['queryQueue'],
      closeOnDetach: true,
    });
    handler.attach(socket).catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
