import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { authenticate, errorResponse } from './auth.ts';
import { TurnQueue } from './turn-queue.ts';

export interface EmbeddedOptions {
  /** Folder for the data; omitted means in memory (tests). */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
  /**
   * The password every connection must give. Default: with a `dataDir`, the one generated at
   * its first start and kept in it (`PASSWORD_FILE`, mode 0600); in memory, a fresh one.
   */
  password?: string;
  /** A connection idle inside a transaction this long is rolled back and closed; default 5 s. */
  idleInTransactionMs?: number;
  /** The startup handshake (password included) must finish within this; default 10 s. */
  authTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://…` URL (with the password) every component connects to with `pg`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The password file inside the data folder. */
export const PASSWORD_FILE = 'koukan-db-password';

/**
 * The data folder (0700) and its password (0600), generated at the first start. The database
 * is for one machine: the password keeps out other local users' processes, not a network.
 */
function folderPassword(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const file = join(dataDir, PASSWORD_FILE);
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/**
 * Starts PGlite and serves it over the PostgreSQL wire protocol, so that every component uses
 * the same `pg` code path as against a real server. Transactions of different connections are
 * serialised (see TurnQueue) and LISTEN/NOTIFY does not cross connections. Every connection
 * must give the password (see auth.ts).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  const password =
    options.password ??
    (options.dataDir ? folderPassword(options.dataDir) : randomBytes(24).toString('base64url'));
  // pg_trgm serves the console's address search (migration 0004 creates the extension).
  const extensions = { pg_trgm };
  const db = await PGlite.create(
    options.dataDir ? { dataDir: options.dataDir, extensions } : { extensions },
  );
  const handlers = new Map<number, Socket>();
  const queue = new TurnQueue(db, {
    idleInTransactionMs: options.idleInTransactionMs ?? 5_000,
    onIdleTimeout: (id) => {
      const socket = handlers.get(id);
      if (!socket) return;
      const message = 'terminating connection due to idle-in-transaction timeout';
      if (socket.writable) socket.end(errorResponse('25P03', message));
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  });
  const host = options.host ?? '127.0.0.1';
  const maxConnections = options.maxConnections ?? 100;
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    if (sockets.size >= maxConnections) {
      socket.end(errorResponse('53300', 'too many connections'));
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void authenticate(socket, password, options.authTimeoutMs ?? 10_000).then((handshake) => {
      if (!handshake || socket.destroyed) return;
      const handler = new PGLiteSocketHandler({
        // The handler only calls enqueue / clearQueueForHandler / clearTransactionIfNeeded.
        queryQueue: queue as unknown as ConstructorParameters<
          typeof PGLiteSocketHandler
        >[0]['queryQueue'],
        closeOnDetach: true,
      });
      handlers.set(handler.handlerId, socket);
      socket.once('close', () => handlers.delete(handler.handlerId));
      handler.attach(socket).then(
        // the startup packet (and whatever followed it) goes to PGlite as if just received
        () => socket.emit('data', handshake.forward),
        () => socket.destroy(),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/postgres`,
    port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
