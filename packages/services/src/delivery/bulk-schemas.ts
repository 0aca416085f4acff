import { z } from 'zod';
import { queueFilterSchema } from '../queue/schemas.ts';
import { cancelAction } from './cancel.ts';
import { holdAction } from './hold.ts';
import type { OperatorAction } from './operator-action.ts';
import { releaseAction } from './release.ts';
import { retryNowAction } from './retry-now.ts';

export const bulkActionNames = ['hold', 'release', 'retry_now', 'cancel'] as const;
export type BulkActionName = (typeof bulkActionNames)[number];

/** The single-message actions whose rules (statuses, event, audit name) bulk actions share. */
export const bulkActions: Record<BulkActionName, OperatorAction> = {
  hold: holdAction,
  release: releaseAction,
  retry_now: retryNowAction,
  cancel: cancelAction,
};

export const BULK_MAX_IDS = 100_000;

/** A selection of ids, or a filter (a queue group is a filter with domain and reply). */
export const bulkSelectionSchema = z.union([
  z.strictObject({ ids: z.array(z.uuid()).min(1).max(BULK_MAX_IDS) }),
  z.strictObject({ filter: queueFilterSchema }),
]);
export type BulkSelection = z.input<typeof bulkSelectionSchema>;

export const bulkCountInput = z.strictObject({
  action: z.enum(bulkActionNames),
  selection: bulkSelectionSchema,
});

export const bulkActionInput = bulkCountInput.extend({
  /** Rows per statement (and per database transaction). */
  batch_size: z.number().int().min(1).max(50_000).default(10_000),
  /** Batches applied side by side, each on its own connection. */
  concurrency: z.number().int().min(1).max(4).default(2),
});
