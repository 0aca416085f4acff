import { describe, expect, it } from 'vitest';
import { preparedTemplates } from '../client/prepared.ts';
import { deliveredOutcome, uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { writeOutcomeIfUnchanged } from './attempt-outcome.ts';
import { insertTransactionAwaitingBody } from './create-downstream.ts';
import { insertTransactionWithInlineBody } from './create-transaction.ts';
import { claimTransactions } from './delivery.ts';
import { recordJournalEvent } from './events.ts';
import { handOverToUpstreams } from './exploder.ts';
import { registerInstance } from './instances.ts';
import { createSender } from './senders.ts';
import { storeSmallBody } from './small-body.ts';

const t = useTestDatabase();

/** Tables that grow with every message: the mail path must find their rows by key. */
const GROWING = new Set(['transactions', 'blobs', 'attempts', 'transaction_blobs', 'events']);
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** The plan's whole-table reads of growing tables. */
function tableScans(node: PlanNode, out: string[] = []): string[] {
  const table = node['Relation Name'];
  if (table && GROWING.has(table) && node['Node Type'] === 'Seq Scan')
    out.push(`Seq Scan on ${table}`);
  for (const child of node.Plans ?? []) tableScans(child, out);
  return out;
}

/**
 * Not yet by key (noticed, left): the claim statement runs once per engine poll and per
 * cut-through claim of a REST create, not per relayed message; its update of the claimed rows
 * and of the abandoned attempts still join by hash on a young database.
 */
const KNOWN = new Set([
  'claim:true:false:false: Seq Scan on transactions',
  'claim:false:false:false: Seq Scan on transactions',
  'claim:false:false:false: Seq Scan on attempts',
]);

const body = Buffer.from('Subject: hi\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n');

/** One message through the statements of the SMTP relay path, and a REST create. */
async function relayOne() {
  const sender = await createSender(t.db, { name: uniqueName() });
  const up = await createSender(t.db, { name: uniqueName() });
  const owner = (await registerInstance(t.db, { kind: 'router', version: '' })).id;
  const lease = { owner, leaseMs: 30_000 };
  const envelope = { mailFrom: { m: 'a@example.org' }, rcptTo: [{ m: 'b@example.org' }] };
  const down = await insertTransactionAwaitingBody(t.db, {
    transaction: { senderId: sender.id, ...envelope },
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
    upstreams: [{ senderId: up.id, ...envelope }],
  });
  const stored = await storeSmallBody(t.db, {
    transactionId: down.transaction.id,
    blobId: down.blob.id,
    data: body,
    messageId: null,
    subject: null,
    lease,
  });
  expect(stored?.attempt).toBeDefined();
  const handed = await handOverToUpstreams(t.db, {
    downstreamId: down.transaction.id,
    ...lease,
    limit: 1,
  });
  const [upstream] = handed.claimed;
  expect(upstream).toBeDefined();
  const { transaction, attempt } = upstream!;
  await recordJournalEvent(t.db, {
    transactionId: transaction.id,
    attemptId: attempt.id,
    type: 'upstream_created',
    data: {},
  });
  const written = await writeOutcomeIfUnchanged(
    t.db,
    deliveredOutcome({
      transactionId: transaction.id,
      attemptId: attempt.id,
      owner,
      version: transaction.version,
    }),
  );
  expect(written?.status).toBe('delivered');
  const rest = await insertTransactionWithInlineBody(t.db, {
    transaction: {
      senderId: up.id,
      status: 'queued',
      ...envelope,
      nextAttemptAt: new Date(Date.now() - 1000),
    },
    body,
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
  });
  const claimed = await claimTransactions(t.db, { ...lease, limit: 1, id: rest.transaction.id });
  expect(claimed).toHaveLength(1);
  // the engine's poll: whatever is due or expired, fairly between senders
  await claimTransactions(t.db, { ...lease, limit: 5 });
}

describe("the mail path's statements on a young database", () => {
  it('never read a growing table whole, whatever size it had when the plan was made', async () => {
    // A connection keeps the generic plan it made for a prepared statement. Made while the
    // tables held a few pages (a young database, or one never analysed), a join of the batch with
    // `transactions` or `blobs` reads the whole table once instead of probing its keys, and the
    // connection keeps reading all of it, slower with every message.
    await relayOne();
    const templates = preparedTemplates();
    expect(templates.map((s) => s.shape)).toEqual(
      expect.arrayContaining(['create-awaiting-bodies', 'event:append-many']),
    );
    const client = await t.pool.connect();
    const found: string[] = [];
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      for (const s of templates) {
        await client.query(`prepare plan_check as ${s.text}`);
        const values = Array.from({ length: s.params }, () => 'null').join(', ');
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `explain (format json) execute plan_check${values ? `(${values})` : ''}`,
        );
        await client.query('deallocate plan_check');
        for (const scan of tableScans(rows[0]!['QUERY PLAN'][0].Plan)) {
          const what = `${s.shape}: ${scan}`;
          if (!KNOWN.has(what)) found.push(what);
        }
      }
    } finally {
      await client.query('reset plan_cache_mode').catch(() => {});
      client.release();
    }
    expect(found).toEqual([]);
  });
});
