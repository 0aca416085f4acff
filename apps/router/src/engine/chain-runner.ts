import {
  type ChainContext,
  type SmtpResponse as ChainResponse,
  runChain,
  type Verdict,
  validateChain,
} from '@koukan/chain';
import { type Db, getBlob, readBlobStream } from '@koukan/db';
import type { SmtpResponse, Transaction } from '@koukan/db/schema';
import type { AttemptContext, AttemptRunner, AttemptVerdict } from './types.ts';

/** The chain's `{ code, enhanced, message }` as stored: the enhanced code leads the text. */
export function toStoredResponse(r: ChainResponse): SmtpResponse {
  return { code: r.code, message: r.enhanced ? `${r.enhanced} ${r.message}` : r.message };
}
const stored = (v: Verdict | undefined) => (v ? toStoredResponse(v.response) : undefined);

/**
 * The engine's runner over `@koukan/chain`: runs the sender's output chain on the transaction
 * and turns the chain's verdicts into the attempt's responses. `context` supplies the chain's
 * ports (logger, DNS, sandbox store, …) — the host wires them.
 *
 * Not yet: message-builder bodies (`body_spec`) are refused with a temporary failure, and the
 * chain cannot be interrupted mid-filter (the engine stops waiting on abort; the run finishes
 * in the background and its result is discarded).
 */
export function createChainRunner(options: { db: Db; context: ChainContext }): AttemptRunner {
  return {
    async run(tx: Transaction, ctx: AttemptContext): Promise<AttemptVerdict> {
      if (!ctx.sender) throw new Error(`sender ${tx.senderId} is not configured`);
      if (!ctx.chain) throw new Error(`sender ${ctx.sender.name} has no output chain`);
      const valid = validateChain(ctx.chain.filters);
      if (!valid.ok) throw new Error(`chain ${ctx.chain.name} is invalid`);
      if (!tx.bodyBlobId)
        throw new Error('message-builder bodies are not wired into the engine yet');
      const blobId = tx.bodyBlobId;
      const size = (await getBlob(options.db, blobId))?.size;
      const result = await runChain(
        valid.chain,
        {
          id: tx.id,
          sender: ctx.sender.name,
          mail_from: tx.mailFrom,
          rcpt_to: tx.rcptTo,
          body: {
            open: () => readBlobStream(options.db, blobId),
            ...(size !== undefined && { size }),
          },
        },
        options.context,
      );
      const host = result.tx.routing?.remote_hosts?.[0]?.host;
      return {
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
