import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * Maps a raw row (database column names, as `db.execute` or `row_to_json` return them) to the
 * table's TypeScript shape, through each column's own driver mapping — for the few hot-path
 * statements written as one SQL text (CTEs) that drizzle's builders cannot express.
 */
export function mapRow<T extends Table>(
  table: T,
  raw: Record<string, unknown>,
): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}
