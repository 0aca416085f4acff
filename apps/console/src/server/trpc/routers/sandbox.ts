import {
  sandboxDelete,
  sandboxDeleteInput,
  sandboxGet,
  sandboxIdInput,
  sandboxList,
  sandboxListInput,
  sandboxMailboxList,
} from '@koukan/services';
import { createTRPCRouter, operatorProcedure, viewerProcedure } from '../init.ts';

/** The sandbox inbox: viewers read; operators and admins delete (audited in the service). */
export const sandboxRouter = createTRPCRouter({
  mailboxes: viewerProcedure.query(({ ctx }) =>
    sandboxMailboxList({ ctx: ctx.service, input: {} }),
  ),

  list: viewerProcedure
    .input(sandboxListInput)
    .query(({ ctx, input }) => sandboxList({ ctx: ctx.service, input })),

  /** One kept message, parsed for the same message view as a transaction's. */
  get: viewerProcedure
    .input(sandboxIdInput)
    .query(({ ctx, input }) => sandboxGet({ ctx: ctx.service, input })),

  /** One message (`id`), a mailbox, or everything (`all: true`). */
  delete: operatorProcedure
    .input(sandboxDeleteInput)
    .mutation(({ ctx, input }) => sandboxDelete({ ctx: ctx.service, input })),
});
