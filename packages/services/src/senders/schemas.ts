import { type DbOrTx, getChainByName, getSenderByName, isDbError, type schema } from '@koukan/db';
import { senderFields, senderInputSchema, senderNameSchema } from '@koukan/db/schema';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, fieldError } from '../errors.ts';

type Sender = schema.Sender;

/** The sender form: name, description, output chain, retry policy, DSN settings. */
export const senderCreateInput = senderInputSchema;

export const senderUpdateInput = z.strictObject({
  name: senderNameSchema,
  /** The version the form was loaded at: a change in between is a `conflict`. */
  expected_version: z.number().int().positive().optional(),
  patch: senderInputSchema.omit({ name: true }),
});

export const senderNameInput = z.strictObject({
  name: senderNameSchema,
  expected_version: z.number().int().positive().optional(),
});

export type SenderView = ReturnType<typeof senderView>;

/** A sender as the console shows it and the audit log records it (no ids of other rows). */
export function senderView(s: Sender) {
  return {
    id: s.id,
    name: s.name,
    ...senderFields(s),
    version: s.version,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

/** The configuration fields of a sender, for the audit log's before/after. */
export function senderConfig(s: Sender) {
  return { name: s.name, ...senderFields(s) };
}

export async function requireSenderByName(
  db: DbOrTx,
  name: string,
  field = 'name',
): Promise<Sender> {
  const sender = await getSenderByName(db, name);
  if (!sender) {
    throw fieldError('not_found', `no sender named "${name}"`, field, 'unknown sender');
  }
  return sender;
}

/**
 * Locks a sender's row for the rest of the transaction, so that a concurrent edit cannot slip
 * between the checks and the write; a version other than the expected one is a `conflict`.
 */
export async function lockSender(
  tx: DbOrTx,
  { name, expected_version: expected }: z.output<typeof senderNameInput>,
): Promise<Sender> {
  await tx.execute(sql`select 1 from senders where name = ${name} for update`);
  const sender = await requireSenderByName(tx, name);
  if (expected !== undefined && sender.version !== expected) {
    throw new AppError(
      'conflict',
      `sender "${sender.name}" changed since it was loaded (version ${sender.version}, not ${expected})`,
      { extra: { version: sender.version } },
    );
  }
  return sender;
}

/** An output chain or DSN sender named by a sender must exist. */
export async function checkReferences(
  db: DbOrTx,
  input: { output_chain?: string | null | undefined; notification?: Sender['notification'] },
  prefix = '',
): Promise<void> {
  if (input.output_chain && !(await getChainByName(db, input.output_chain))) {
    throw new AppError('bad_request', `no chain named "${input.output_chain}"`, {
      details: [{ field: `${prefix}output_chain`, message: 'unknown chain' }],
    });
  }
  const dsnSender = input.notification?.sender;
  if (dsnSender && !(await getSenderByName(db, dsnSender))) {
    throw new AppError('bad_request', `no sender named "${dsnSender}"`, {
      details: [{ field: `${prefix}notification.sender`, message: 'unknown sender' }],
    });
  }
}

/** A unique-name violation as a field error; anything else unchanged. */
export function duplicateName(err: unknown, name: string): never {
  if (isDbError(err, 'unique_violation')) {
    throw new AppError('conflict', `a sender named "${name}" exists already`, {
      details: [{ field: 'name', message: 'already taken' }],
    });
  }
  throw err;
}
