/**
 * A second console replica for `auth.test.ts`: better-auth on the database at argv[2], in a
 * process of its own (its own memory), makes argv[4] failed sign-ins as the client argv[3] and
 * prints their HTTP statuses as JSON.
 */
import { createDb } from '@koukan/db';
import pino from 'pino';
import { createAuth } from '../server/auth/auth.ts';
import { CLIENT_IP_HEADER } from '../server/http/forwarding.ts';

const BASE_URL = 'http://127.0.0.1:3999'; // harness.ts's (which needs vitest)

const [url, client, times] = process.argv.slice(2);
const handle = createDb({ url: url!, poolSize: 1 });
const auth = createAuth({
  db: handle.db,
  secret: 'test-secret-test-secret-test-secret-0123456789',
  baseURL: BASE_URL,
  trustedOrigins: [BASE_URL],
  sessionTtlSeconds: 3600,
  logger: pino({ level: 'silent' }),
});
const statuses: number[] = [];
for (let i = 0; i < Number(times); i++) {
  const res = await auth.handler(
    new Request(`${BASE_URL}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: BASE_URL,
        [CLIENT_IP_HEADER]: client!,
      },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password' }),
    }),
  );
  statuses.push(res.status);
}
process.stdout.write(JSON.stringify(statuses));
await handle.pool.end();
