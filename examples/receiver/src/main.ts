import { createReceiver } from './receiver.ts';

/**
 * A receiving application for Koukan: prints each inbound message as one line of JSON on
 * stdout. Point the router's `smtp-mx-output` chain at it (`KOUKAN_INBOUND_URL` at first start,
 * or a `rest_output` filter with this URL) and give the router the same token as
 * `KOUKAN_SECRET_RECEIVER` (`KOUKAN_INBOUND_TOKEN` for `npm start`).
 *
 *   RECEIVER_HOST   bind address            default 127.0.0.1 (0.0.0.0 in a container)
 *   RECEIVER_PORT   port                    default 8080
 *   RECEIVER_TOKEN  required bearer token   default none (any caller)
 */
const host = process.env.RECEIVER_HOST || '127.0.0.1';
const port = Number(process.env.RECEIVER_PORT || 8080);
const token = process.env.RECEIVER_TOKEN || undefined;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`RECEIVER_PORT: not a port: ${process.env.RECEIVER_PORT}\n`);
  process.exit(1);
}

const server = createReceiver({
  token,
  onMessage(inbound) {
    const { raw: _raw, ...printable } = inbound;
    process.stdout.write(`${JSON.stringify(printable)}\n`);
  },
});
server.on('error', (err) => {
  process.stderr.write(`receiver: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => {
  const address = server.address() as { port: number };
  process.stderr.write(
    `receiver listening on http://${host}:${address.port}${token ? '' : ' (no token: any caller)'}\n`,
  );
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
