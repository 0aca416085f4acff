import {
  sandboxDelete,
  sandboxDeleteInput,
  sandboxGet,
  sandboxIdInput,
  sandboxList,
  sandboxListInput,
  sandboxMailboxList,
} from '@koukan/services';
import { createTRPCRouter, operatorProcedure, service, viewerProcedure } from '../init.ts';

/** The sandbox inbox: viewers read; operators and admins delete (audited in the service). */
export const sandboxRouter = createTRPCRouter({
  mailboxes: viewerProcedure.query(({ ctx }) =>
    sandboxMailboxList({ ctx: ctx.service, input: {} }),
  ),

  list: viewerProcedure.input(sandboxListInput).query(service(sandboxList)),

  /** One kept message, parsed for the same message view as a transaction's. */
  get: viewerProcedure.input(sandboxIdInput).query(service(sandboxGet)),

  /** One message (`id`), a mailbox, or everything (`all: true`). */
  delete: operatorProcedure.input(sandboxDeleteInput).mutation(service(sandboxDelete)),
});
