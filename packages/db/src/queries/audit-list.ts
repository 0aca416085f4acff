import { and, desc, eq, gte, like, lt, lte, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { type AuditEntry, auditLog } from '../schema/audit-log/table.ts';

export interface AuditSearch {
  actor?: string;
  entityType?: string;
  entityId?: string;
  /** An action or its beginning, e.g. `chain.` */
  actionPrefix?: string;
  from?: Date;
  to?: Date;
  /** Keyset: entries older than this id. */
  beforeId?: number;
  limit?: number;
}

/**
 * The audit log, newest first, filtered by who, what and when (served by `audit_log_actor_idx`,
 * `audit_log_entity_id_idx` and `audit_log_at_idx`).
 */
export function searchAudit(db: DbOrTx, input: AuditSearch): Promise<AuditEntry[]> {
  const a = auditLog;
  const conditions: SQL[] = [];
  if (input.actor) conditions.push(eq(a.actor, input.actor));
  if (input.entityType) conditions.push(eq(a.entityType, input.entityType));
  if (input.entityId) conditions.push(eq(a.entityId, input.entityId));
  if (input.actionPrefix) {
    conditions.push(like(a.action, `${input.actionPrefix.replace(/[\\%_]/g, '\\$&')}%`));
  }
  if (input.from) conditions.push(gte(a.at, input.from));
  if (input.to) conditions.push(lte(a.at, input.to));
  if (input.beforeId) conditions.push(lt(a.id, input.beforeId));
  return db
    .select()
    .from(a)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(a.id))
    .limit(Math.min(input.limit ?? 50, 500));
}
