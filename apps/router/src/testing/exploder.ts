import type { ChainInput } from '@koukan/chain';
import { getTransaction, schema, upsertChain } from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { type TestDatabase, uniqueName } from '@koukan/db/testing';
import { createTransaction } from '@koukan/services';
import { makeSender, SAMPLE_MESSAGE } from '@koukan/services/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { databaseSuite, silent } from '../engine/testing/harness.ts';
import { HttpRunner } from '../engine/testing/http-runner.ts';
import { accepted, startReceiver } from '../engine/testing/receiver.ts';
import { type EngineSettings, wireEngine } from '../wire.ts';

export type Phase = 'mail' | 'rcpt' | 'data';
export type Kind = 'temp' | 'perm';

/** The scripted upstream's refusals, by phase and kind (as stored: the enhanced code apart). */
export const refusal = {
  mail: {
    temp: { code: 451, enhanced: '4.3.0', message: 'mail refused' },
    perm: { code: 550, enhanced: '5.7.1', message: 'mail refused' },
  },
  rcpt: {
    temp: { code: 450, enhanced: '4.2.0', message: 'rcpt refused' },
    perm: { code: 550, enhanced: '5.1.1', message: 'rcpt refused' },
  },
  data: {
    temp: { code: 452, enhanced: '4.3.1', message: 'data refused' },
    perm: { code: 554, enhanced: '5.6.0', message: 'data refused' },
  },
} as const;

const ok = { code: 250, enhanced: '2.0.0', message: 'ok' };

/** What the scripted upstream answers for a recipient `<phase>-<kind>-…@…` (`ok-…`: accepts,
 * `slow-…`: never answers). */
export function scriptFor(rcpt: string): Record<string, unknown> | undefined {
  const [phase, kind] = rcpt.split('-') as [string, Kind];
  if (phase === 'slow') return undefined;
  if (phase === 'mail') return { mail: refusal.mail[kind] };
  if (phase === 'rcpt') return { mail: ok, rcpt: [refusal.rcpt[kind]] };
  if (phase === 'data') return { mail: ok, rcpt: [ok], data: refusal.data[kind] };
  return accepted;
}

/**
 * An engine whose downstream senders (chains with the exploder) run the real chain with the
 * exploder, and whose upstream transactions are delivered over HTTP to a scripted receiver
 * on port 0.
 */
export async function startExploderWorld(t: TestDatabase, overrides: EngineSettings = {}) {
  const receiver = await startReceiver((r) => {
    const answer = scriptFor(r.body.rcpt[0] ?? '');
    if (answer) r.reply(answer);
  });
  const http = new HttpRunner(receiver.url);
  // As main.ts wires it, with the engine's test defaults; upstream transactions go to HTTP.
  const { engine, watcher, app } = await wireEngine({
    db: t.db,
    pool: t.pool,
    logger: silent,
    dsn: { reportingMta: 'mx.koukan.test' },
    context: { logger: silent },
    engine: { pollIntervalMs: 50, retention: false, ...overrides },
    runner: (chains) => ({
      run: (tx, ctx) =>
        ctx.chain?.filters.some((f) => f.filter === 'exploder')
          ? chains.run(tx, ctx)
          : http.run(tx, ctx),
    }),
  });
  const upstream = await makeSender(t.db, {});

  /** A downstream sender whose chain is `prefix` then the exploder (to `upstream`). */
  async function downstreamSender(
    msa: boolean,
    exploder: Record<string, unknown> = {},
    prefix: ChainInput = [],
  ) {
    const chain = await upsertChain(t.db, {
      name: uniqueName('explode'),
      filters: [
        ...prefix,
        { filter: 'exploder', output_chain: upstream.name, msa, data_timeout: 10, ...exploder },
      ],
      author: 'test',
    });
    return makeSender(t.db, { output_chain: chain.chain.name });
  }

  return {
    engine: engine!,
    /** buildApp's options for a router of this process (as main.ts passes them). */
    app,
    receiver,
    upstream,
    downstreamSender,
    async stop() {
      await receiver.close(); // upstream attempts still waiting fail now
      await engine!.stop();
      await watcher.stop();
    },
  };
}

/** The test file's database `t` and exploder `world` on it, from before its tests to after them. */
export function exploderSuite(overrides: EngineSettings = {}) {
  const t = databaseSuite();
  const world = {} as Awaited<ReturnType<typeof startExploderWorld>>;
  beforeAll(async () => {
    Object.assign(world, await startExploderWorld(t, overrides));
  });
  afterAll(() => world.stop?.());
  return { t, world };
}

/** A unique recipient that the scripted upstream answers as `prefix` says (see `scriptFor`). */
export const addr = (prefix: string) => `${prefix}-${uniqueName('r')}@example.net`;

export const ctxOf = (t: TestDatabase) => ({ db: t.db, logger: silent, actor: 'test' });

/** Creates a downstream transaction with its recipients and an inline body (due at once). */
export async function submit(
  t: TestDatabase,
  sender: schema.Sender,
  rcpt: (string | Record<string, unknown>)[],
  extra: Record<string, unknown> = {},
) {
  const { transaction } = await createTransaction({
    ctx: ctxOf(t),
    input: {
      sender,
      request: {
        mail_from: { m: 'alice@example.com' },
        rcpt_to: rcpt.map((m) => (typeof m === 'string' ? { m } : m)),
        body: { inline: SAMPLE_MESSAGE },
        ...extra,
      },
    },
  });
  return transaction;
}

export async function finished(t: TestDatabase, id: string): Promise<Transaction | undefined> {
  const row = await getTransaction(t.db, id);
  return row && schema.finalStatuses.includes(row.status) ? row : undefined;
}

/** The upstream transactions exploded from `id`, in recipient order. */
export async function upstreamsOf(t: TestDatabase, id: string): Promise<Transaction[]> {
  const rows = await t.db
    .select()
    .from(schema.transactions)
    .where(sql`${schema.transactions.metadata}->>'exploded_from' = ${id}`);
  return rows.sort((a, b) => Number(a.metadata.rcpt_index) - Number(b.metadata.rcpt_index));
}

export async function dsnsFor(t: TestDatabase, id: string): Promise<Transaction[]> {
  return t.db.select().from(schema.transactions).where(eq(schema.transactions.parentId, id));
}
