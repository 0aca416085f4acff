import { setTimeout as delay } from 'node:timers/promises';
import {
  getMessage,
  getTransactionDetail,
  getTransactionStamp,
  listSenderOptions,
  listTransactions,
  listTransactionsInputSchema,
  messageInputSchema,
  runTransactionAction,
  senderOptionsInputSchema,
  type TransactionStamp,
  transactionActionInputSchema,
  transactionIdInputSchema,
} from '@koukan/services';
import { createTRPCRouter, operatorProcedure, service, viewerProcedure } from '../init.ts';

/** Thin adapters over the console services of @koukan/services. */
export const transactionsRouter = createTRPCRouter({
  list: viewerProcedure.input(listTransactionsInputSchema).query(service(listTransactions)),

  senders: viewerProcedure.input(senderOptionsInputSchema).query(service(listSenderOptions)),

  detail: viewerProcedure.input(transactionIdInputSchema).query(service(getTransactionDetail)),

  message: viewerProcedure.input(messageInputSchema).query(service(getMessage)),

  /** Retry now, hold, release, cancel: operators and admins; recorded in the audit log. */
  action: operatorProcedure
    .input(transactionActionInputSchema)
    .mutation(service(runTransactionAction)),

  /**
   * The transaction's stamp now and whenever it changes, over SSE. Woken by the database's
   * change notifications through the shared watcher, which also polls (the embedded database
   * delivers no NOTIFY across connections); without a watcher, polling alone.
   */
  watch: viewerProcedure.input(transactionIdInputSchema).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    const read = () => getTransactionStamp({ ctx: ctx.service, input });
    let stamp: TransactionStamp = await read();
    yield stamp;
    while (!signal?.aborted) {
      if (ctx.watcher) {
        // Events without a version bump are caught by the timeout's re-read.
        await ctx.watcher.waitForChange(input.id, stamp.version, 5000, signal);
      } else {
        await delay(ctx.pollIntervalMs ?? 1000, undefined, { signal }).catch(() => {});
      }
      if (signal?.aborted) return;
      const next = await read();
      if (next.version !== stamp.version || next.last_event_id !== stamp.last_event_id) {
        stamp = next;
        yield stamp;
      }
    }
  }),
});
