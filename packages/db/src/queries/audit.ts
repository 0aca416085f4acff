import { desc, inArray, lt } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { type AuditEntry, auditLog } from '../schema/audit-log/table.ts';

export interface AuditInput {
  actor: string;
  action: string;
  entityType: string;
  entityId?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: DbOrTx, input: AuditInput): Promise<AuditEntry> {
  const [row] = await db.insert(auditLog).values(input).returning();
  return row!;
}

export function listAudit(
  db: DbOrTx,
  input: { beforeId?: number; limit?: number } = {},
): Promise<AuditEntry[]> {
  return db
    .select()
    .from(auditLog)
    .where(input.beforeId ? lt(auditLog.id, input.beforeId) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(Math.min(input.limit ?? 50, 500));
}

/** Retention: audit entries older than `before` are deleted, at most `limit` per call. */
export async function deleteAuditBefore(db: DbOrTx, before: Date, limit = 500): Promise<number> {
  const victims = db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(lt(auditLog.at, before))
    .limit(limit);
  const rows = await db
    .delete(auditLog)
    .where(inArray(auditLog.id, victims))
    .returning({ id: auditLog.id });
  return rows.length;
}
