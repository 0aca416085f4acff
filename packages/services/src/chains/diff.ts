import { canonicalJson, type schema } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { chainRevisionGet } from './revisions.ts';
import { chainNameInput } from './schemas.ts';

type Entry = schema.FilterConfig;

export interface FieldChange {
  /** Path inside the filter entry, e.g. `policies[0].domains`. */
  path: string;
  before?: unknown;
  after?: unknown;
}

/** One row of a side-by-side view: a filter on the left, the right, or both. */
export type ChainDiffRow =
  | { kind: 'same'; left: number; right: number; entry: Entry }
  | {
      kind: 'changed';
      left: number;
      right: number;
      before: Entry;
      after: Entry;
      fields: FieldChange[];
    }
  | { kind: 'removed'; left: number; before: Entry }
  | { kind: 'added'; right: number; after: Entry };

export const chainDiffInput = chainNameInput.extend({
  from: z.number().int().positive(),
  to: z.number().int().positive(),
});

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** Field-level changes between two values (objects recursively, arrays by position). */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (same(before, after)) return [];
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    return [...new Set([...Object.keys(b), ...Object.keys(a)])].sort().flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in b)) return [{ path: p, after: a[k] }];
      if (!(k in a)) return [{ path: p, before: b[k] }];
      return fieldChanges(b[k], a[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => fieldChanges(v, after[i], `${path}[${i}]`));
  }
  return [{ path, before, after }];
}

/**
 * Aligns two filter lists for a side-by-side view: a longest common subsequence of identical
 * entries, and between those, entries of the same filter type paired as `changed` (with their
 * field changes), the rest `removed` / `added`.
 */
export function diffFilters(left: Entry[], right: Entry[]): ChainDiffRow[] {
  const n = left.length;
  const m = right.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = same(left[i], right[j])
        ? lcs[i + 1]![j + 1]! + 1
        : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const rows: ChainDiffRow[] = [];
  let i = 0;
  let j = 0;
  const flush = (li: number[], rj: number[]) => {
    // Pair leftovers of the same filter type, in order.
    const used = new Set<number>();
    for (const a of li) {
      const b = rj.find((x) => !used.has(x) && right[x]!.filter === left[a]!.filter);
      if (b === undefined) {
        rows.push({ kind: 'removed', left: a, before: left[a]! });
        continue;
      }
      for (const x of rj)
        if (x < b && !used.has(x)) {
          used.add(x);
          rows.push({ kind: 'added', right: x, after: right[x]! });
        }
      used.add(b);
      const fields = fieldChanges(left[a], right[b]);
      rows.push({ kind: 'changed', left: a, right: b, before: left[a]!, after: right[b]!, fields });
    }
    for (const x of rj) if (!used.has(x)) rows.push({ kind: 'added', right: x, after: right[x]! });
  };
  let li: number[] = [];
  let rj: number[] = [];
  while (i < n || j < m) {
    if (i < n && j < m && same(left[i], right[j])) {
      flush(li, rj);
      li = [];
      rj = [];
      rows.push({ kind: 'same', left: i, right: j, entry: left[i]! });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      rj.push(j++);
    } else {
      li.push(i++);
    }
  }
  flush(li, rj);
  return rows;
}

/** The structured difference between two revisions of a chain, for a side-by-side view. */
export async function chainDiff({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainDiffInput>>): Promise<{
  from: number;
  to: number;
  rows: ChainDiffRow[];
}> {
  const i = parseInput(chainDiffInput, input);
  const [a, b] = await Promise.all([
    chainRevisionGet({ ctx, input: { name: i.name, version: i.from } }),
    chainRevisionGet({ ctx, input: { name: i.name, version: i.to } }),
  ]);
  return { from: i.from, to: i.to, rows: diffFilters(a.filters, b.filters) };
}
