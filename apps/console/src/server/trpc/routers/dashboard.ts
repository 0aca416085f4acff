import { dashboardInputSchema, getDashboard } from '@koukan/services';
import { createTRPCRouter, service, viewerProcedure } from '../init.ts';

export const dashboardRouter = createTRPCRouter({
  /** Series for the range, queue depth, top deferral domains and router replicas. */
  get: viewerProcedure.input(dashboardInputSchema).query(service(getDashboard)),
});
