import { createHash } from 'node:crypto';
import {
  appendEvent,
  BLOB_CHUNK_SIZE,
  type ClaimedTransaction,
  canonicalJson,
  createBlob,
  type DbOrTx,
  finalizeBlob,
  findByIdempotencyKey,
  insertTransaction,
  insertTransactionAwaitingBody,
  insertTransactionWithInlineBody,
  isDbError,
  type schema,
  schema as tables,
  writeBlobStream,
} from '@koukan/db';
import { replyLine } from '@koukan/db/schema';
import { headerSectionLimit } from '@koukan/protocol/schemas';
import { and, eq, lt } from 'drizzle-orm';
import type { BuilderBlobRef, StoredBodySpec } from '../blobs/body-spec.ts';
import { resolveReuseUri } from '../blobs/reuse.ts';
import { nowOf, type ServiceCall, type ServiceContext } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import {
  createUpstreams,
  DOWNSTREAM_NOTIFICATION,
  DOWNSTREAM_RETRY,
  type ExploderEnvelopeHook,
  exploderPlan,
  screenRecipients,
  submitterOf,
  upstreamRows,
} from '../exploder/envelope.ts';
import { bodyHeaderFields, checkHeaderSection, headerFieldsAtCreate } from './header-fields.ts';
import { builderParts } from './message-builder-schema.ts';
import { checkRecipientCount } from './recipients.ts';
import {
  type CreateTransactionRequest,
  createTransactionRequestSchema,
  type TransactionView,
} from './schemas.ts';
import { assertSessionAllowed } from './session.ts';
import { loadBlobs, toView } from './view.ts';

const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface CreateTransactionInput {
  sender: schema.Sender;
  /** The JSON request body; validated here, unless `validated`. */
  request: unknown;
  /**
   * `request` is already the output of `createTransactionRequestSchema` (the REST route's own
   * validation of the body): not parsed a second time.
   */
  validated?: boolean | undefined;
  idempotencyKey?: string | undefined;
  maxBodyBytes?: number | undefined;
  /** The chain context for the exploder's envelope phase (default: the logger only). */
  exploder?: ExploderEnvelopeHook | undefined;
  /**
   * Cut-through: a delivery engine of this process has a free slot and takes the transaction
   * under this lease, if it is created deliverable in one statement (a whole inline body).
   */
  lease?: { owner: string; leaseMs: number } | undefined;
  /** The caller presented a gateway key: only then may the request carry `session`. */
  gatewayKey?: boolean | undefined;
}

export interface CreateTransactionResult {
  transaction: TransactionView;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
  /** Created in flight under `lease`, with its first attempt open: the caller runs it. */
  claimed?: ClaimedTransaction;
}

function requestHash(request: CreateTransactionRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

interface Idempotency {
  key: string;
  /** `requestHash` of the request that came with the key. */
  hash: string;
}

async function findReplay(
  ctx: ServiceContext,
  sender: schema.Sender,
  { key, hash }: Idempotency,
): Promise<CreateTransactionResult | null> {
  const existing = await findByIdempotencyKey(ctx.db, sender.id, key);
  if (!existing) return null;
  if (existing.createdAt.getTime() < nowOf(ctx).getTime() - IDEMPOTENCY_WINDOW_MS) return null;
  if (existing.requestHash !== hash) {
    throw new AppError(
      'unprocessable',
      'this Idempotency-Key was already used with a different request',
      { details: [{ field: 'headers.idempotency-key', message: 'reused with another payload' }] },
    );
  }
  const view = toView(existing, sender.name, await loadBlobs(ctx.db, existing));
  return { transaction: view, replayed: true };
}

function inlineBytes(inline: string, maxBodyBytes: number): Buffer {
  const bytes = Buffer.from(inline, 'utf8');
  if (bytes.length > maxBodyBytes) {
    throw new AppError('payload_too_large', `the body is larger than ${maxBodyBytes} bytes`, {
      details: [{ field: 'body.inline', message: `at most ${maxBodyBytes} bytes` }],
    });
  }
  checkHeaderSection(headerSectionLimit()(bytes), 'body.inline');
  return bytes;
}

/** A key older than the idempotency window is free again: release it from the old transaction. */
async function releaseExpiredKey(ctx: ServiceContext, sender: schema.Sender, key: string) {
  const cutoff = new Date(nowOf(ctx).getTime() - IDEMPOTENCY_WINDOW_MS);
  await ctx.db
    .update(tables.transactions)
    .set({ idempotencyKey: null })
    .where(
      and(
        eq(tables.transactions.senderId, sender.id),
        eq(tables.transactions.idempotencyKey, key),
        lt(tables.transactions.createdAt, cutoff),
      ),
    );
}

/**
 * Takes the blobs the body needs (creating, sharing or storing them) and returns the columns;
 * `insertTransaction` writes the transaction's references to them.
 */
async function storeBody(
  tx: DbOrTx,
  sender: schema.Sender,
  body: CreateTransactionRequest['body'],
  inline: Buffer | undefined,
): Promise<{ bodyBlobId: string | null; bodySpec: StoredBodySpec | null; complete: boolean }> {
  if (body && 'message_builder' in body) {
    const refs: BuilderBlobRef[] = [];
    const createIds = new Set<string>();
    for (const { path, content } of builderParts(body.message_builder)) {
      const field = `body.message_builder.${path}`;
      if ('create_id' in content) {
        if (createIds.has(content.create_id)) {
          throw new AppError('bad_request', `${field}.create_id: duplicate create_id`, {
            details: [{ field: `${field}.create_id`, message: 'duplicate create_id' }],
          });
        }
        createIds.add(content.create_id);
        const blob = await createBlob(tx, { senderId: sender.id });
        refs.push({ path, create_id: content.create_id, blob_id: blob.id });
      } else if ('reuse_uri' in content) {
        const blob = await resolveReuseUri(tx, sender.id, content.reuse_uri, `${field}.reuse_uri`);
        refs.push({ path, reuse_uri: content.reuse_uri, blob_id: blob.id });
      }
    }
    return {
      bodyBlobId: null,
      bodySpec: { message_builder: body.message_builder, blobs: refs },
      complete: createIds.size === 0,
    };
  }
  if (body && 'reuse_uri' in body) {
    const blob = await resolveReuseUri(tx, sender.id, body.reuse_uri, 'body.reuse_uri');
    return { bodyBlobId: blob.id, bodySpec: null, complete: true };
  }
  const blob = await createBlob(tx, { senderId: sender.id, contentType: 'message/rfc822' });
  if (inline) {
    await writeBlobStream(tx, blob.id, [inline], { offset: 0 });
    await finalizeBlob(tx, blob.id);
  }
  return { bodyBlobId: blob.id, bodySpec: null, complete: inline !== undefined };
}

/**
 * Creates a transaction for `sender`: validates the envelope, stores or shares the body, and
 * makes it due at once when it is deliverable (recipients and a complete body); otherwise
 * `next_attempt_at` stays null until the upload finishes. With an Idempotency-Key, a repeat of
 * the same request within 24 hours returns the original; concurrent repeats are serialised by
 * the unique index on (sender, idempotency_key), and the loser returns the winner's row.
 */
export async function createTransaction({
  ctx,
  input,
}: ServiceCall<CreateTransactionInput>): Promise<CreateTransactionResult> {
  const request = input.validated
    ? (input.request as CreateTransactionRequest)
    : parseInput(createTransactionRequestSchema, input.request, 'body');
  const { sender } = input;
  assertSessionAllowed(request.session, input.gatewayKey === true);
  // Only a request with an Idempotency-Key is ever compared with a later one: hashed then only.
  const key = input.idempotencyKey;
  const idem: Idempotency | undefined = key ? { key, hash: requestHash(request) } : undefined;
  if (idem) {
    const replay = await findReplay(ctx, sender, idem);
    if (replay) return replay;
  }
  await checkRecipientCount(ctx, sender, request.rcpt_to.length, 'body.rcpt_to');
  const maxBodyBytes = input.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // A downstream (exploder) transaction: each recipient is answered now, by the filters
  // before the exploder, and fans out into its own upstream transaction.
  const plan = await exploderPlan(ctx, sender, submitterOf(request.session));
  const answers =
    plan && request.rcpt_to.length > 0
      ? await screenRecipients(plan, input.exploder ?? { context: { logger: ctx.logger } }, {
          id: 'new',
          sender: sender.name,
          mail_from: request.mail_from,
          rcpt_to: request.rcpt_to,
        })
      : [];
  // The gateway stores nothing for an SMTP transaction before its first accepted recipient:
  // a refusal of every recipient is answered (422, each refusal in `details`) and not stored.
  const noneAccepted = answers.length > 0 && !answers.some((a) => a.explode);
  if (input.gatewayKey && request.session && noneAccepted) {
    throw new AppError('unprocessable', 'no recipient was accepted; nothing was stored', {
      details: answers.map((a, i) => ({
        field: `body.rcpt_to.${i}`,
        message: replyLine(a.response),
      })),
      // the replies themselves, for the gateway to give its SMTP client
      extra: { rcpt_response: answers.map((a) => a.response) },
    });
  }
  const row = {
    senderId: sender.id,
    status: 'queued' as const,
    mailFrom: request.mail_from,
    rcptTo: request.rcpt_to,
    idempotencyKey: key ?? null,
    requestHash: idem?.hash ?? null,
    metadata: request.session ? { session: request.session } : {},
    ...(plan && {
      retry: DOWNSTREAM_RETRY,
      notification: DOWNSTREAM_NOTIFICATION,
      rcptResponse: answers.map((a) => a.response),
    }),
  };
  const created = {
    type: 'created',
    data: { actor: ctx.actor, rcpt_count: request.rcpt_to.length },
  };
  // Due at once when deliverable; otherwise the upload (or PATCH) that completes it.
  const dueIfComplete = (complete: boolean) =>
    complete && request.rcpt_to.length > 0 ? nowOf(ctx) : null;
  try {
    if (key) await releaseExpiredKey(ctx, sender, key);
    const inline =
      request.body && 'inline' in request.body
        ? inlineBytes(request.body.inline, maxBodyBytes)
        : undefined;
    let view: TransactionView;
    let claimed: ClaimedTransaction | undefined;
    if (inline && !plan && inline.length <= BLOB_CHUNK_SIZE) {
      // The common case in one statement: a whole body and no fan-out.
      const due = dueIfComplete(true);
      const lease = due ? input.lease : undefined;
      const { transaction, blob, attempt } = await insertTransactionWithInlineBody(ctx.db, {
        transaction: { ...row, nextAttemptAt: due, ...bodyHeaderFields(inline) },
        body: inline,
        contentType: 'message/rfc822',
        event: created,
        ...(lease && { lease }),
      });
      view = toView(transaction, sender.name, new Map([[blob.id, blob]]));
      if (attempt) claimed = { transaction, attempt, body: inline };
    } else if (!request.body) {
      // The body comes later (the SMTP gateway's create at RCPT): the transaction, its empty
      // blob, the exploder's upstreams and the event in one statement.
      const { transaction, blob } = await insertTransactionAwaitingBody(ctx.db, {
        transaction: row,
        contentType: 'message/rfc822',
        event: created,
        upstreams: plan ? upstreamRows(plan, row, 0, answers) : [],
      });
      view = toView(transaction, sender.name, new Map([[blob.id, blob]]));
    } else {
      view = await ctx.db.transaction(async (tx) => {
        const body = await storeBody(tx, sender, request.body, inline);
        const inserted = await insertTransaction(tx, {
          ...row,
          bodyBlobId: body.bodyBlobId,
          bodySpec: body.bodySpec as unknown as Record<string, unknown> | null,
          nextAttemptAt: dueIfComplete(body.complete),
          ...(await headerFieldsAtCreate(tx, request.body, inline, body.bodyBlobId)),
        });
        if (plan) await createUpstreams(tx, plan, inserted, 0, answers);
        await appendEvent(tx, { transactionId: inserted.id, ...created });
        return toView(inserted, sender.name, await loadBlobs(tx, inserted));
      });
    }
    ctx.logger.info({ transactionId: view.id, sender: sender.name }, 'transaction created');
    return { transaction: view, replayed: false, ...(claimed && { claimed }) };
  } catch (err) {
    if (idem && isDbError(err, 'unique_violation')) {
      const replay = await findReplay(ctx, sender, idem);
      if (replay) return replay;
    }
    throw err;
  }
}
