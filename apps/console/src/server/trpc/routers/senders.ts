import {
  chainList,
  senderCreate,
  senderCreateInput,
  senderDisable,
  senderEnable,
  senderList,
  senderNameInput,
  senderUpdate,
  senderUpdateInput,
} from '@koukan/services';
import { z } from 'zod';
import { adminProcedure, createTRPCRouter, service, viewerProcedure } from '../init.ts';

const senderSetEnabledInput = senderNameInput.extend({ enabled: z.boolean() });

/**
 * Senders: everyone signed in reads them; admins create, edit, disable and enable them. Each
 * change is audited by the service (before/after) and reaches running routers within their
 * configuration reload.
 */
export const sendersRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => senderList({ ctx: ctx.service, input: {} })),

  /** The chains a sender may name as its output chain (names and descriptions only). */
  chainOptions: viewerProcedure.query(async ({ ctx }) =>
    (await chainList({ ctx: ctx.service, input: {} })).map((c) => ({
      name: c.name,
      description: c.description,
    })),
  ),

  create: adminProcedure.input(senderCreateInput).mutation(service(senderCreate)),

  update: adminProcedure.input(senderUpdateInput).mutation(service(senderUpdate)),

  setEnabled: adminProcedure
    .input(senderSetEnabledInput)
    .mutation(({ ctx, input: { enabled, ...input } }) =>
      enabled
        ? senderEnable({ ctx: ctx.service, input })
        : senderDisable({ ctx: ctx.service, input }),
    ),
});
