import { auditList, auditListInput } from '@koukan/services';
import { createTRPCRouter, service, viewerProcedure } from '../init.ts';

/** The audit log: who changed what and when, newest first, keyset-paginated. */
export const auditRouter = createTRPCRouter({
  list: viewerProcedure.input(auditListInput).query(service(auditList)),
});
