import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { DbError, withDbErrors } from '../client/errors.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Blob, blobs } from '../schema/blobs/table.ts';
import { transactionBlobs } from '../schema/transaction-blobs/table.ts';
import {
  type NewTransaction,
  type Transaction,
  transactions,
} from '../schema/transactions/table.ts';

export type TransactionInsert = Omit<NewTransaction, 'rcptAddresses' | 'id' | 'version'>;

/** The envelope and request columns of a batched create's JSON row (`rcpt_addresses` derived). */
export function envelopeColumns(
  t: Pick<TransactionInsert, 'mailFrom' | 'rcptTo' | 'idempotencyKey' | 'requestHash' | 'metadata'>,
) {
  return {
    mail_from: t.mailFrom,
    rcpt_to: t.rcptTo,
    rcpt_addresses: t.rcptTo.map((r) => r.m.toLowerCase()),
    idempotency_key: t.idempotencyKey ?? null,
    request_hash: t.requestHash ?? null,
    metadata: t.metadata ?? {},
  };
}

/** The row to insert: `rcpt_addresses` (the searchable recipients) derived from `rcpt_to`. */
function transactionValues(input: TransactionInsert & { id?: string }): NewTransaction {
  return { ...input, rcptAddresses: input.rcptTo.map((r) => r.m.toLowerCase()) };
}

/**
 * Inserts the transaction and, in the same statement, its references to the blobs it names: the
 * rfc822 body (`body_blob_id`) and a message-builder body's parts (`body_spec.blobs[].blob_id`).
 */
export async function insertTransaction(
  db: DbOrTx,
  input: TransactionInsert,
): Promise<Transaction> {
  const insert = db.insert(transactions).values(transactionValues(input)).returning();
  const result = await withDbErrors(() =>
    db.execute<Record<string, unknown>>(sql`
      with t as (${insert.getSQL()}), r as (
        insert into ${transactionBlobs} (transaction_id, blob_id)
        select t.id, t.body_blob_id from t where t.body_blob_id is not null
        union
        select t.id, (p->>'blob_id')::uuid
        from t, jsonb_array_elements(coalesce(t.body_spec->'blobs', '[]')) p
        where p->>'blob_id' is not null
      )
      select * from t`),
  );
  return mapRow(transactions, result.rows[0]!);
}

export async function getTransaction(db: DbOrTx, id: string): Promise<Transaction | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id));
  return row;
}

/** The transaction and its rfc822 body's blob row (null for none or a message-builder body). */
export async function getTransactionWithBody(
  db: DbOrTx,
  id: string,
): Promise<{ transaction: Transaction; bodyBlob: Blob | null } | undefined> {
  if (!isUuid(id)) return undefined;
  // A template: this is every long-poll's read.
  const [row] = await executeTemplate<{
    t: Record<string, unknown>;
    b: Record<string, unknown> | null;
  }>(
    db,
    'transaction-with-body',
    () => sql`select row_to_json(t) as t, row_to_json(b) as b
      from ${transactions} t left join ${blobs} b on b.id = t.body_blob_id
      where t.id = ${sql.placeholder('id')}`,
    { id },
  );
  if (!row) return undefined;
  return { transaction: mapRow(transactions, row.t), bodyBlob: row.b && mapRow(blobs, row.b) };
}

export async function findByIdempotencyKey(
  db: DbOrTx,
  senderId: string,
  key: string,
): Promise<Transaction | undefined> {
  const [row] = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.senderId, senderId), eq(transactions.idempotencyKey, key)));
  return row;
}

export type TransactionPatch = Partial<
  Omit<NewTransaction, 'id' | 'senderId' | 'version' | 'createdAt' | 'rcptAddresses'>
>;

/**
 * Applies `patch` and bumps the version. With `expectedVersion`, only if the row is still at
 * that version (the ETag check): `version_conflict` otherwise, `not_found` if there is no row.
 */
export async function updateTransaction(
  db: DbOrTx,
  id: string,
  patch: TransactionPatch,
  expectedVersion?: number,
): Promise<Transaction> {
  const conditions: SQL[] = [eq(transactions.id, id)];
  if (expectedVersion !== undefined) conditions.push(eq(transactions.version, expectedVersion));
  const set = {
    ...patch,
    ...(patch.rcptTo && { rcptAddresses: patch.rcptTo.map((r) => r.m.toLowerCase()) }),
    version: sql`${transactions.version} + 1`,
    updatedAt: sql`now()`,
  };
  const [row] = await withDbErrors(() =>
    db
      .update(transactions)
      .set(set)
      .where(and(...conditions))
      .returning(),
  );
  if (row) return row;
  const current = await getTransaction(db, id);
  if (!current) throw new DbError('not_found', `no transaction ${id}`, 'transactions');
  throw new DbError(
    'version_conflict',
    `transaction ${id} is at version ${current.version}, not ${expectedVersion}`,
    'transactions',
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
