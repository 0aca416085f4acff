import { listQueue, type QueueCursor, type QueueItem } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { queueFilterSchema, toQueueFilter } from './schemas.ts';

export const listQueueMessagesInput = z.strictObject({
  filter: queueFilterSchema.default({ queue: 'waiting' }),
  /** The `next` of the previous page. */
  cursor: z
    .strictObject({
      at: z.string().regex(/^\d{4}-\d\d-\d\d[ T][\d:.]+([+-]\d\d(:?\d\d)?|Z)$/, 'a timestamp'),
      id: z.uuid(),
    })
    .optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

/** The messages of a queue or one of its groups, keyset-paginated. */
export async function listQueueMessages({
  ctx,
  input,
}: ServiceCall<z.input<typeof listQueueMessagesInput>>): Promise<{
  items: QueueItem[];
  next: QueueCursor | null;
}> {
  const i = parseInput(listQueueMessagesInput, input);
  return listQueue(ctx.db, {
    filter: await toQueueFilter(ctx, i.filter),
    ...(i.cursor && { after: i.cursor }),
    limit: i.limit,
  });
}
