import {
  addDomain,
  addDomainInputSchema,
  checkDomain,
  domainNameInputSchema,
  listDomains,
  removeDomain,
  rotateDomain,
  rotateDomainInputSchema,
  showDomain,
} from '@koukan/services';
import { adminProcedure, createTRPCRouter, service, viewerProcedure } from '../init.ts';

/**
 * Sending domains: their DKIM keys, the DNS records to publish and their check. Everyone signed
 * in reads (and checks, a read of public DNS); only admins add, rotate and remove. Thin over the
 * services, which validate, audit and keep the private keys as encrypted secrets.
 */
export const domainsRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => listDomains({ ctx: ctx.service, input: undefined })),

  get: viewerProcedure.input(domainNameInputSchema).query(service(showDomain)),

  check: viewerProcedure.input(domainNameInputSchema).query(service(checkDomain)),

  add: adminProcedure.input(addDomainInputSchema).mutation(service(addDomain)),

  rotate: adminProcedure.input(rotateDomainInputSchema).mutation(service(rotateDomain)),

  remove: adminProcedure.input(domainNameInputSchema).mutation(async ({ ctx, input }) => {
    await removeDomain({ ctx: ctx.service, input });
    return { removed: input.name };
  }),
});
