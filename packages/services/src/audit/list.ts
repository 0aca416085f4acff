import { type schema, searchAudit } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';

export const auditListInput = z.strictObject({
  /** `user:<email>`, `key:<prefix>`, `system:…` */
  actor: z.string().min(1).max(320).optional(),
  entity_type: z.string().min(1).max(50).optional(),
  entity_id: z.string().min(1).max(100).optional(),
  action: z.string().min(1).max(100).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  /** The `id` of the last entry of the previous page. */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

/**
 * The audit log, newest first: who did what to which entity, when, with the before/after the
 * change recorded (`details.before` / `details.after`; chains carry their filter lists, so a
 * console can diff them with `diffFilters`).
 */
export async function auditList({
  ctx,
  input,
}: ServiceCall<z.input<typeof auditListInput>>): Promise<{
  items: schema.AuditEntry[];
  next: number | null;
}> {
  const i = parseInput(auditListInput, input);
  const items = await searchAudit(ctx.db, {
    ...(i.actor && { actor: i.actor }),
    ...(i.entity_type && { entityType: i.entity_type }),
    ...(i.entity_id && { entityId: i.entity_id }),
    ...(i.action && { actionPrefix: i.action }),
    ...(i.from && { from: i.from }),
    ...(i.to && { to: i.to }),
    ...(i.cursor && { beforeId: i.cursor }),
    limit: i.limit,
  });
  return { items, next: items.length === i.limit ? items.at(-1)!.id : null };
}
