import { Readable } from 'node:stream';
import type { AttemptJournal } from '@koukan/chain';
import {
  type BlobReader,
  type ChainContext,
  type SmtpResponse as ChainResponse,
  type ChainTransaction,
  type FilterRun,
  type MessageBuilderInput,
  runChain,
  type Verdict,
} from '@koukan/chain';
import { type Db, earlierAttemptsEvents, readBlobStream, recordJournalEvent } from '@koukan/db';
import type { SmtpResponse, Transaction } from '@koukan/db/schema';
import { storedSpecOf, validatedChain } from '@koukan/services';
import type { AttemptContext, AttemptRunner, AttemptVerdict } from './types.ts';

/** The chain's `{ code, enhanced, message }` as stored: the same structure, nothing else. */
export function toStoredResponse(r: ChainResponse): SmtpResponse {
  return { code: r.code, ...(r.enhanced && { enhanced: r.enhanced }), message: r.message };
}
const stored = (v: Verdict | undefined) => (v ? toStoredResponse(v.response) : undefined);

/**
 * The engine's runner over `@koukan/chain`: runs the sender's output chain on the transaction
 * and turns the chain's verdicts into the attempt's responses. `context` supplies the chain's
 * ports (logger, DNS, sandbox store, …) — the host wires them.
 *
 * An RFC 822 body is read from its blob at each `open()` (or from memory when the engine has
 * it: cut-through at creation); a message-builder body is handed to
 * the chain as `message_builder` with a blob reader for its uploaded or reused parts (the
 * sender's chain must contain `message_builder`). The chain cannot be interrupted mid-filter:
 * on abort the engine stops waiting and discards the run's result.
 */
export function createChainRunner(options: {
  db: Db;
  context: ChainContext;
  /** Host implementations of filters the chain library leaves to the router (exploder). */
  implementations?: { exploder?: FilterRun<'exploder'> };
}): AttemptRunner {
  return {
    async run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict> {
      if (!ctx.sender) throw new Error(`sender ${tx.senderId} is not configured`);
      if (!ctx.chain) throw new Error(`sender ${ctx.sender.name} has no output chain`);
      const valid = validatedChain(ctx.chain);
      if (!valid.ok) throw new Error(`chain ${ctx.chain.name} is invalid`);
      const result = await runChain(
        valid.chain,
        chainTransaction(options.db, tx, ctx.sender.name, ctx.body),
        {
          ...options.context,
          blobs: blobReader(options.db, tx),
          attempt: attemptJournal(options.db, tx, ctx),
        },
        { ...(options.implementations && { implementations: options.implementations }) },
      );
      const host = result.tx.routing?.remote_hosts?.[0]?.host;
      return {
        chain: { name: ctx.chain.name, version: ctx.chain.version },
        ...(host && { upstreamHost: host }),
        mailResponse: stored(result.mail)!,
        rcptResponse: result.rcpt.map((v) => stored(v) ?? null),
        ...(result.data && { dataResponse: stored(result.data)! }),
        events: result.events.map((e) => ({
          type: e.type,
          data: { filter: e.filter, index: e.index, ...e.data },
        })),
      };
    },
  };
}

function chainTransaction(
  db: Db,
  tx: Transaction,
  sender: string,
  bytes: Buffer | undefined,
): ChainTransaction {
  const session = tx.metadata.session as ChainTransaction['session'] | undefined;
  const base = {
    id: tx.id,
    sender,
    mail_from: tx.mailFrom,
    rcpt_to: tx.rcptTo,
    ...(session && { session }),
  };
  const spec = storedSpecOf(tx.bodySpec);
  if (spec) return { ...base, message_builder: spec.message_builder as MessageBuilderInput };
  if (!tx.bodyBlobId) throw new Error('the transaction has no body');
  const blobId = tx.bodyBlobId;
  const body = bytes
    ? { open: () => Readable.from([bytes]), size: bytes.length }
    : { open: () => readBlobStream(db, blobId) };
  return { ...base, body };
}

/**
 * The attempt's durable timeline: written at once, outside the outcome's transaction (with the
 * journal events other attempts record in the same tick).
 */
function attemptJournal(db: Db, tx: Transaction, ctx: AttemptContext): AttemptJournal {
  return {
    attemptId: ctx.attemptId,
    attemptNumber: ctx.attemptNumber,
    signal: ctx.signal,
    async record(type, data) {
      await recordJournalEvent(db, { transactionId: tx.id, attemptId: ctx.attemptId, type, data });
    },
    async previous() {
      // attempt numbers start at 1: the first attempt has none before it (no read)
      if (ctx.attemptNumber <= 1) return undefined;
      const rows = await earlierAttemptsEvents(db, tx.id, ctx.attemptNumber);
      return rows?.map((r) => ({ type: r.type, data: r.data }));
    },
  };
}

/** Parts given as `create_id` / `reuse_uri` are read from the blobs the REST API recorded. */
function blobReader(db: Db, tx: Transaction): BlobReader {
  const refs = storedSpecOf(tx.bodySpec)?.blobs ?? [];
  return {
    open(ref) {
      const found = refs.find((b) =>
        'create_id' in ref ? b.create_id === ref.create_id : b.reuse_uri === ref.reuse_uri,
      );
      if (!found) throw new Error(`no blob for part ${JSON.stringify(ref)}`);
      return readBlobStream(db, found.blob_id);
    },
  };
}
