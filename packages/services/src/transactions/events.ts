import { listEvents } from '@koukan/db';
import { z } from 'zod';
import type { Principal } from '../auth/authenticate.ts';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { loadOwned } from './access.ts';
import type { EventList } from './schemas.ts';

export const eventsQuerySchema = z.strictObject({
  after: z.coerce.number().int().nonnegative().default(0).describe('Return events after this id.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The delivery timeline of a transaction, oldest first, keyset-paginated by event id. */
export async function listTransactionEvents({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string; query: unknown }>): Promise<EventList> {
  const query = parseInput(eventsQuerySchema, input.query, 'query');
  const { transaction } = await loadOwned(ctx, input.principal, input.id);
  const rows = await listEvents(ctx.db, transaction.id, query.after, query.limit);
  return {
    events: rows.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      type: e.type,
      attempt_id: e.attemptId,
      data: e.data,
    })),
    next_after: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
  };
}
