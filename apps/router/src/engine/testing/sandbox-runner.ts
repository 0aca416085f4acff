import type { Db } from '@koukan/db';
import { createChainRunner } from '../chain-runner.ts';
import { silent } from './harness.ts';

/** A message the in-memory sandbox port received. */
export interface Sandboxed {
  transaction_id: string;
  body: Buffer;
}

/**
 * The real chain runner whose `sandbox` port (the one port the host supplies for the `sandbox`
 * filter) keeps what it receives in memory, for the test to read back.
 */
export function sandboxRunner(db: Db) {
  const stored: Sandboxed[] = [];
  const runner = createChainRunner({
    db,
    context: {
      logger: silent,
      sandbox: {
        async store(msg) {
          const parts: Buffer[] = [];
          for await (const c of msg.body) parts.push(Buffer.from(c));
          stored.push({ transaction_id: msg.transaction_id, body: Buffer.concat(parts) });
          return { id: `sbx-${stored.length}` };
        },
      },
    },
  });
  return { runner, stored };
}
