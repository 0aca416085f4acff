import { type TransitionName, transitionNames } from '@koukan/db/schema';
import { z } from 'zod';
import { queueFilterSchema } from '../queue/schemas.ts';

export type BulkActionName = TransitionName;

const BULK_MAX_IDS = 100_000;

/** A selection of ids, or a filter (a queue group is a filter with domain and reply). */
export const bulkSelectionSchema = z.union([
  z.strictObject({ ids: z.array(z.uuid()).min(1).max(BULK_MAX_IDS) }),
  z.strictObject({ filter: queueFilterSchema }),
]);
export type BulkSelection = z.input<typeof bulkSelectionSchema>;

export const bulkCountInput = z.strictObject({
  action: z.enum(transitionNames),
  selection: bulkSelectionSchema,
});

export const bulkActionInput = bulkCountInput.extend({
  /** Rows per statement (and per database transaction). */
  batch_size: z.number().int().min(1).max(50_000).default(10_000),
  /** Batches applied side by side, each on its own connection. */
  concurrency: z.number().int().min(1).max(4).default(2),
});
