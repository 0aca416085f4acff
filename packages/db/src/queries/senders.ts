import { asc, eq, sql } from 'drizzle-orm';
import { canonicalJson } from '../client/canonical-json.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { DbError, withDbErrors } from '../client/errors.ts';
import { type Sender, senders } from '../schema/senders/table.ts';
import type { SenderInput } from '../schema/senders/validation.ts';

function toColumns(input: SenderInput) {
  return {
    name: input.name,
    ...(input.description !== undefined && { description: input.description }),
    ...(input.output_chain !== undefined && { outputChain: input.output_chain }),
    ...(input.enabled !== undefined && { enabled: input.enabled }),
    ...(input.retry !== undefined && { retry: input.retry }),
    ...(input.notification !== undefined && { notification: input.notification }),
    ...(input.settings !== undefined && { settings: input.settings }),
  };
}

export async function createSender(db: DbOrTx, input: SenderInput): Promise<Sender> {
  const [row] = await withDbErrors(() => db.insert(senders).values(toColumns(input)).returning());
  return row!;
}

/**
 * Creates the sender named `input.name` or sets the given fields on it, bumping its version
 * only when something differs. Returns the sender and whether anything changed.
 */
export async function upsertSender(
  db: DbOrTx,
  input: SenderInput,
): Promise<{ sender: Sender; changed: boolean }> {
  const existing = await getSenderByName(db, input.name);
  if (!existing) return { sender: await createSender(db, input), changed: true };
  const { name: _name, ...update } = toColumns(input);
  const differs = Object.entries(update).some(
    ([k, v]) => canonicalJson(existing[k as keyof Sender]) !== canonicalJson(v),
  );
  if (!differs) return { sender: existing, changed: false };
  return { sender: await updateSender(db, input.name, input), changed: true };
}

export async function updateSender(
  db: DbOrTx,
  name: string,
  patch: Partial<Omit<SenderInput, 'name'>>,
): Promise<Sender> {
  const { name: _n, ...update } = toColumns({ name, ...patch });
  const [row] = await withDbErrors(() =>
    db
      .update(senders)
      .set({ ...update, version: sql`${senders.version} + 1`, updatedAt: sql`now()` })
      .where(eq(senders.name, name))
      .returning(),
  );
  if (!row) throw new DbError('not_found', `no sender named ${name}`, 'senders');
  return row;
}

export async function getSenderByName(db: DbOrTx, name: string): Promise<Sender | undefined> {
  const [row] = await db.select().from(senders).where(eq(senders.name, name));
  return row;
}

export async function getSenderById(db: DbOrTx, id: string): Promise<Sender | undefined> {
  const [row] = await db.select().from(senders).where(eq(senders.id, id));
  return row;
}

export function listSenders(db: DbOrTx): Promise<Sender[]> {
  return db.select().from(senders).orderBy(asc(senders.name));
}
