import {
  applyBulkAction,
  bulkCountInput,
  countBulkAction,
  listQueueGroups,
  listQueueGroupsInput,
  listQueueMessages,
  listQueueMessagesInput,
} from '@koukan/services';
import { createTRPCRouter, operatorProcedure, service, viewerProcedure } from '../init.ts';

/**
 * Retry queues: thin adapters over @koukan/services' `queue/` and bulk actions. Viewers read;
 * operators and admins act (each bulk action writes one audit entry in the service).
 */
export const queuesRouter = createTRPCRouter({
  /** A queue (waiting, held, failed of the last days) grouped by domain and/or last reply. */
  groups: viewerProcedure.input(listQueueGroupsInput).query(service(listQueueGroups)),

  /** The messages of a queue, group or filter, keyset-paginated. */
  messages: viewerProcedure.input(listQueueMessagesInput).query(service(listQueueMessages)),

  /** How many messages a bulk action would touch, for its confirmation. Changes nothing. */
  count: operatorProcedure.input(bulkCountInput).query(service(countBulkAction)),

  /**
   * Retry now, hold, release or cancel a selection (ids) or a filter (a group), set-based.
   * A database error fails the whole call (INTERNAL_SERVER_ERROR, with what was applied).
   */
  bulk: operatorProcedure.input(bulkCountInput).mutation(service(applyBulkAction)),
});
