import { filterMeta } from '@koukan/chain/catalogue';
import {
  type FilterName,
  filterConfigSchemas,
  filterNames,
  validateChain,
} from '@koukan/chain/schemas';
import { type FieldErrors, pathString } from '@koukan/ui';
import { z } from 'zod';

export type Entry = Record<string, unknown> & { filter: string };

export const isFilterName = (n: string): n is FilterName => (filterNames as string[]).includes(n);

/** A filter's form schema: its config plus the key every entry may carry (`timeout`). */
const entrySchemas = new Map<FilterName, z.ZodType>();
export function entryFormSchema(name: FilterName): z.ZodType {
  let s = entrySchemas.get(name);
  if (!s) {
    s = filterConfigSchemas[name].safeExtend({
      timeout: z.number().positive().optional(),
    });
    entrySchemas.set(name, s);
  }
  return s;
}

export const filterDescription = (name: string) =>
  isFilterName(name) ? filterMeta[name].description : 'unknown filter';
export const isTerminal = (name: string) => isFilterName(name) && filterMeta[name].terminal;

/**
 * The chain's errors per filter, keyed by path inside the filter (`policies[0].smarthost`),
 * from the same validator the server runs.
 */
export function chainErrors(entries: Entry[]): FieldErrors[] {
  const out: FieldErrors[] = entries.map(() => ({}));
  const r = validateChain(entries);
  if (r.ok) return out;
  for (const e of r.errors) {
    const [index, ...rest] = e.path;
    if (typeof index !== 'number' || !out[index]) continue;
    const p = pathString(rest);
    out[index]![p] = [...(out[index]![p] ?? []), e.message];
  }
  return out;
}

/** The server's field errors (`filters[2].url`) by filter, for the same display. */
export function serverErrors(
  fields: { field?: string; message: string }[] | undefined,
  count: number,
): FieldErrors[] {
  const out: FieldErrors[] = Array.from({ length: count }, () => ({}));
  for (const f of fields ?? []) {
    const m = /^filters\[(\d+)\]\.?(.*)$/.exec(f.field ?? '');
    if (!m || !out[Number(m[1])]) continue;
    const e = out[Number(m[1])]!;
    e[m[2]!] = [...(e[m[2]!] ?? []), f.message];
  }
  return out;
}
