import {
  accept,
  type Chain,
  type ChainContext,
  copyOf,
  type EntryOf,
  runChain,
  temp,
  type Verdict,
} from '@koukan/chain';
import { type DbOrTx, getSenderByName, insertTransaction } from '@koukan/db';
import type { Mailbox, RetryPolicy, Sender, SmtpResponse, Transaction } from '@koukan/db/schema';
import { chainByName, type ServiceContext, validatedChain } from '../context.ts';
import { fieldError } from '../errors.ts';
import { submissionMode } from './submission.ts';

/**
 * The host's port for the exploder's envelope phase: the chain context (logger, DNS, …) the
 * filters before the exploder run with when a recipient is added. packages/services never
 * builds one itself.
 */
export interface ExploderEnvelopeHook {
  context: ChainContext;
}

/** What the envelope phase needs to know about a sender whose chain has the exploder. */
export interface ExploderPlan {
  /** the filters before the exploder (recipient policies) */
  prefix: Chain;
  config: EntryOf<'exploder'>;
  /** the sender named by `output_chain`, absent when it is not configured */
  upstream: Sender | undefined;
}

/** Policies of a downstream (exploder) transaction: exactly one attempt, never a DSN (the SMTP
 * client got every answer itself). Its fan-out transactions carry the retries. */
export const DOWNSTREAM_RETRY: RetryPolicy = { schedule: [60], max_attempts: 1 };
export const DOWNSTREAM_NOTIFICATION = { enabled: false };

/**
 * The exploder plan of `sender`'s output chain, undefined when it has no exploder.
 *
 * `submitter`: the sender that authenticated on the gateway's MSA (the gateway's `session.auth
 * .user`, trusted because only a gateway key may set it). When it is another sender than the
 * MSA's own, its mail fans out into transactions of *that* sender (its chain, retries and
 * notifications) instead of `output_chain`'s: one key, REST and SMTP. A sender that cannot take
 * SMTP submission is refused (422 naming `body.session.auth.user`).
 */
export async function exploderPlan(
  ctx: ServiceContext,
  sender: Sender,
  submitter?: string,
): Promise<ExploderPlan | undefined> {
  if (!sender.outputChain) return undefined;
  const row = await chainByName(ctx, sender.outputChain);
  if (!row?.filters.some((f) => f.filter === 'exploder')) return undefined;
  const valid = validatedChain(row);
  if (!valid.ok) return undefined;
  const index = valid.chain.findIndex((e) => e.filter === 'exploder');
  const config = valid.chain[index] as EntryOf<'exploder'>;
  const prefix = valid.chain.slice(0, index);
  if (submitter && submitter !== sender.name) {
    const target = await submissionMode(ctx, submitter);
    if (target.mode !== 'chain') {
      const reason =
        target.mode === 'refused' ? target.reason : 'its own chain fans out (exploder)';
      const message = `sender "${submitter}" cannot take SMTP submission: ${reason}`;
      throw fieldError('unprocessable', message, 'body.session.auth.user', reason);
    }
    return { prefix, config, upstream: target.sender };
  }
  const upstream =
    ctx.config?.getSender?.(config.output_chain) ??
    (await getSenderByName(ctx.db, config.output_chain));
  return { prefix, config, upstream };
}

/** The authenticated sender named by a stored or requested session, if any. */
export function submitterOf(session: unknown): string | undefined {
  const user = (session as { auth?: { user?: unknown } } | undefined)?.auth?.user;
  return typeof user === 'string' ? user : undefined;
}

/** One added recipient's RCPT answer, and whether an upstream transaction is created for it. */
export interface RecipientAnswer {
  response: SmtpResponse;
  explode: boolean;
}

const stored = ({ response: r }: Verdict): SmtpResponse => ({
  code: r.code,
  ...(r.enhanced && { enhanced: r.enhanced }),
  message: r.message,
});

const STORE_AND_FORWARD = accept(250, '2.1.5', 'ok, accepted for store-and-forward delivery');

/**
 * Runs the filters before the exploder on the envelope only (no body yet), under the
 * exploder's `rcpt_timeout`, and maps each verdict to the RCPT answer:
 * accept → accepted, with an upstream transaction; permanent → passed through; temporary or a
 * timeout → on MSA, 250 and an upstream transaction anyway (store and forward: the upstream's
 * own chain and retries take over), on MX passed through (a timeout becomes `450 4.4.7`).
 */
export async function screenRecipients(
  plan: ExploderPlan,
  hook: ExploderEnvelopeHook,
  envelope: { id: string; sender: string; mail_from: Mailbox; rcpt_to: Mailbox[] },
): Promise<RecipientAnswer[]> {
  if (!plan.upstream) {
    const v = temp(`exploder output sender ${plan.config.output_chain} is not configured`);
    return envelope.rcpt_to.map(() => ({ response: stored(v), explode: false }));
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), plan.config.rcpt_timeout * 1000);
  });
  const tx = copyOf(envelope);
  const run = runChain(plan.prefix, tx, hook.context, { endOfChain: accept(250, '2.1.5', 'ok') });
  run.catch(() => {});
  const result = await Promise.race([run, timedOut]).finally(() => clearTimeout(timer));
  const msa = plan.config.msa;
  return envelope.rcpt_to.map((_, i) => {
    const v =
      result === 'timeout'
        ? temp('recipient check timed out', 450, '4.4.7')
        : (result.rcpt[i] ?? temp('no answer'));
    if (v.kind === 'accept') return { response: stored(v), explode: true };
    if (v.kind === 'temp' && msa) return { response: stored(STORE_AND_FORWARD), explode: true };
    return { response: stored(v), explode: false };
  });
}

/**
 * The upstream transactions' rows for `answers` (one per exploded recipient): `output_chain`'s
 * sender, one recipient, no body yet, not due (see `createUpstreams`). `metadata.exploded_from`
 * is left to the caller when the downstream has no id yet.
 */
export function upstreamRows(
  plan: ExploderPlan,
  downstream: Pick<Transaction, 'mailFrom' | 'rcptTo' | 'metadata'> & { id?: string },
  firstIndex: number,
  answers: RecipientAnswer[],
) {
  const upstream = plan.upstream;
  if (!upstream) return [];
  const c = plan.config;
  const retry: RetryPolicy = (c.msa ? upstream.retry : null) ?? {
    schedule: c.retry.schedule,
    max_attempts: c.retry.max_attempts,
    max_age: c.retry.max_age,
  };
  const rows = [];
  for (const [j, answer] of answers.entries()) {
    if (!answer.explode) continue;
    const index = firstIndex + j;
    rows.push({
      senderId: upstream.id,
      mailFrom: downstream.mailFrom,
      rcptTo: [downstream.rcptTo[index]!],
      retry,
      notification: {
        enabled: false,
        ...(c.notification.sender && { sender: c.notification.sender }),
      },
      metadata: {
        ...(downstream.id && { exploded_from: downstream.id }),
        rcpt_index: index,
        msa: c.msa,
        ...(downstream.metadata.session ? { session: downstream.metadata.session } : {}),
      },
    });
  }
  return rows;
}

/**
 * Creates one upstream transaction per exploded recipient: `output_chain`'s sender, one
 * recipient, no body yet (the exploder shares the downstream's when DATA completes), not due.
 * Retries follow the upstream sender's policy (else the exploder's); notification stays off
 * until the exploder's fan-in decides the upstream carries on on its own.
 */
export async function createUpstreams(
  db: DbOrTx,
  plan: ExploderPlan,
  downstream: Transaction,
  firstIndex: number,
  answers: RecipientAnswer[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const row of upstreamRows(plan, downstream, firstIndex, answers)) {
    const inserted = await insertTransaction(db, {
      ...row,
      status: 'queued',
      bodyBlobId: null,
      nextAttemptAt: null,
      parentId: downstream.id,
      messageId: downstream.messageId,
      subject: downstream.subject,
    });
    ids.push(inserted.id);
  }
  return ids;
}
