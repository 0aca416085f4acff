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

/**
 * `tickBatcher` over a statement that writes any number of items and returns their results in
 * order: a batch that fails is retried one item at a time, so only the item at fault gets its
 * error; items with the same `key` (the same row twice) never share a batch.
 */
export function statementBatcher<I, O>(
  write: (db: DbOrTx, inputs: I[]) => Promise<O[]>,
  key?: (input: I) => string,
): (db: DbOrTx, input: I) => Promise<O> {
  const settle = async (db: DbOrTx, items: Pending<I, O>[]): Promise<void> => {
    try {
      const out = await write(
        db,
        items.map((i) => i.input),
      );
      for (const [n, item] of items.entries()) item.resolve(out[n] as O);
    } catch (err) {
      if (items.length === 1) items[0]!.reject(err);
      else for (const item of items) await settle(db, [item]);
    }
  };
  return tickBatcher(async (db, items) => {
    const keys = key && items.map((i) => key(i.input));
    if (keys && new Set(keys).size < keys.length) {
      for (const item of items) await settle(db, [item]);
    } else await settle(db, items);
  });
}
