import { hostname } from 'node:os';
import { and, asc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { type Instance, instances } from '../schema/instances/table.ts';

export async function registerInstance(
  db: DbOrTx,
  input: { kind: string; version?: string },
): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({
      kind: input.kind,
      version: input.version ?? '',
      hostname: hostname(),
      pid: process.pid,
    })
    .returning();
  return row!;
}

/** Returns false when the row is gone (e.g. pruned as dead): the caller should re-register. */
export async function heartbeatInstance(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .update(instances)
    .set({ heartbeatAt: sql`now()` })
    .where(eq(instances.id, id))
    .returning({ id: instances.id });
  return rows.length > 0;
}

export async function markInstanceStopping(db: DbOrTx, id: string): Promise<void> {
  await db.update(instances).set({ stoppingAt: sql`now()` }).where(eq(instances.id, id));
}

export async function deregisterInstance(db: DbOrTx, id: string): Promise<void> {
  await db.delete(instances).where(eq(instances.id, id));
}

export function listLiveInstances(
  db: DbOrTx,
  staleAfterMs: number,
  kind?: string,
): Promise<Instance[]> {
  const fresh = gt(
    instances.heartbeatAt,
    sql`now() - make_interval(secs => ${staleAfterMs / 1000})`,
  );
  return db
    .select()
    .from(instances)
    .where(and(fresh, isNull(instances.stoppingAt), kind ? eq(instances.kind, kind) : undefined))
    .orderBy(asc(instances.startedAt));
}

/** Removes instances whose heartbeat is older than `staleAfterMs`. */
export async function pruneDeadInstances(db: DbOrTx, staleAfterMs: number): Promise<number> {
  const rows = await db
    .delete(instances)
    .where(lt(instances.heartbeatAt, sql`now() - make_interval(secs => ${staleAfterMs / 1000})`))
    .returning({ id: instances.id });
  return rows.length;
}
