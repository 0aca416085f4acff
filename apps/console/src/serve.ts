/**
 * The console's HTTP server, which main.ts starts as a child process (with NODE_ENV set):
 * Next.js behind createConsoleServer, so the client address that rate limits and sessions see
 * is the socket's, or what a trusted proxy forwarded, never a client's own claim.
 */
import { fileURLToPath } from 'node:url';
import next from 'next';
import { env } from './env.ts';
import { createConsoleServer } from './server/http/forwarding.ts';

const e = env();
const dev = process.argv.includes('--dev');
const server = createConsoleServer(e.KOUKAN_CONSOLE_TRUSTED_PROXIES, (req, res) =>
  handle(req, res),
);
const app = next({
  dev,
  dir: fileURLToPath(new URL('../', import.meta.url)),
  hostname: e.KOUKAN_CONSOLE_HOST,
  port: e.KOUKAN_CONSOLE_PORT,
  httpServer: server, // next dev upgrades its hot-reload WebSocket here
});
const handle = app.getRequestHandler();
await app.prepare();
server.listen(e.KOUKAN_CONSOLE_PORT, e.KOUKAN_CONSOLE_HOST);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    void app.close().finally(() => process.exit(0));
  });
}
