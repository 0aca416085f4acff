import {
  apiKeyCreate,
  apiKeyCreateInput,
  apiKeyList,
  apiKeyListInput,
  apiKeyRevoke,
  apiKeyRevokeInput,
} from '@koukan/services';
import { adminProcedure, createTRPCRouter, service, viewerProcedure } from '../init.ts';

/**
 * API keys by their visible prefix: listed for everyone signed in (never a secret or a hash);
 * created and revoked by admins. The secret is in `create`'s answer only, once, and is never
 * logged or audited. A revoked key is refused by every router at once (on the change
 * notification) or at the latest when its principal cache expires (`KOUKAN_AUTH_CACHE_MS`).
 */
export const apiKeysRouter = createTRPCRouter({
  list: viewerProcedure.input(apiKeyListInput).query(service(apiKeyList)),

  create: adminProcedure.input(apiKeyCreateInput).mutation(async ({ ctx, input }) => {
    const created = await apiKeyCreate({ ctx: ctx.service, input });
    ctx.logger.info({ sender: input.sender, prefix: created.apiKey.prefix }, 'API key created');
    return created;
  }),

  revoke: adminProcedure.input(apiKeyRevokeInput).mutation(async ({ ctx, input }) => {
    const revoked = await apiKeyRevoke({ ctx: ctx.service, input });
    ctx.logger.info({ sender: revoked.sender, prefix: revoked.prefix }, 'API key revoked');
    return revoked;
  }),
});
