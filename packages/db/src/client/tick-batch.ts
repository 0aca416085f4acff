import type { DbOrTx } from './create-db.ts';

/** One call waiting in a batch. */
export interface Pending<I, O> {
  input: I;
  resolve(output: O): void;
  reject(err: unknown): void;
}

/**
 * Collects the calls made on one database handle in the same event-loop tick and hands them to
 * `flush` together, which must settle every item: under load, many requests become one
 * statement and one commit instead of one each.
 */
export function tickBatcher<I, O>(
  flush: (db: DbOrTx, items: Pending<I, O>[]) => Promise<void>,
): (db: DbOrTx, input: I) => Promise<O> {
  const batches = new WeakMap<object, Pending<I, O>[]>();
  return (db, input) =>
    new Promise<O>((resolve, reject) => {
      let batch = batches.get(db);
      if (!batch) {
        batch = [];
        batches.set(db, batch);
      }
      batch.push({ input, resolve, reject });
      const pending = batch;
      if (pending.length === 1) setImmediate(() => void flush(db, pending.splice(0)));
    });
}
