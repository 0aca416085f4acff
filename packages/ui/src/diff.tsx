import { cn } from './cn.ts';

export type DiffRow =
  | { kind: 'same'; left: number; right: number; text: string }
  | { kind: 'removed'; left: number; text: string }
  | { kind: 'added'; right: number; text: string }
  | { kind: 'changed'; left: number; right: number; before: string; after: string };

/** Text as it is; anything else as indented JSON with sorted keys (stable across saves). */
export function diffText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value), null, 2);
}

/**
 * Line rows for a side-by-side view: a longest common subsequence of equal lines; between
 * those, removed and added lines are paired up as `changed` rows, the rest stand alone.
 */
export function diffLines(before: string, after: string): DiffRow[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const rows: DiffRow[] = [];
  let removed: number[] = [];
  let added: number[] = [];
  const flush = () => {
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k++)
      rows.push({
        kind: 'changed',
        left: removed[k]!,
        right: added[k]!,
        before: a[removed[k]!]!,
        after: b[added[k]!]!,
      });
    for (const l of removed.slice(pairs)) rows.push({ kind: 'removed', left: l, text: a[l]! });
    for (const r of added.slice(pairs)) rows.push({ kind: 'added', right: r, text: b[r]! });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      flush();
      rows.push({ kind: 'same', left: i, right: j, text: a[i]! });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      added.push(j++);
    } else {
      removed.push(i++);
    }
  }
  flush();
  return rows;
}

const cell = 'whitespace-pre-wrap break-all px-2 py-0.5 align-top font-mono text-xs';
const num = 'w-10 select-none px-1.5 py-0.5 text-right align-top font-mono text-xs text-muted';

/**
 * Two values side by side, line by line: removed lines on the left in red, added on the right
 * in green, with a word ("removed", "added", "changed") for screen readers. Strings are
 * compared as text, anything else as sorted, indented JSON.
 */
export function SideBySideDiff({
  before,
  after,
  beforeLabel = 'Before',
  afterLabel = 'After',
  caption,
  label,
  className,
}: {
  /** Accessible name of the table (default: the caption). */
  label?: string;
  before: unknown;
  after: unknown;
  beforeLabel?: string;
  afterLabel?: string;
  caption?: string;
  className?: string;
}) {
  const rows = diffLines(diffText(before), diffText(after));
  const changes = rows.filter((r) => r.kind !== 'same').length;
  return (
    <div className={cn('overflow-x-auto rounded-md border border-border', className)}>
      <table aria-label={label ?? caption} className="w-full table-fixed border-collapse">
        <caption className="px-2 py-1 text-left text-xs text-muted">
          {caption ? `${caption}: ` : ''}
          {changes === 0 ? 'no differences' : `${changes} changed line${changes === 1 ? '' : 's'}`}
        </caption>
        <thead>
          <tr className="border-b border-border bg-surface-2 text-left text-xs">
            <th scope="col" className="w-10">
              <span className="sr-only">{beforeLabel} line</span>
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              {beforeLabel}
            </th>
            <th scope="col" className="w-10">
              <span className="sr-only">{afterLabel} line</span>
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              {afterLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const key = `${r.kind}-${'left' in r ? r.left : ''}-${'right' in r ? r.right : ''}`;
            const left = r.kind === 'added' ? null : r.kind === 'changed' ? r.before : r.text;
            const right = r.kind === 'removed' ? null : r.kind === 'changed' ? r.after : r.text;
            const mark = r.kind === 'same' ? '' : r.kind;
            return (
              <tr key={key} data-kind={r.kind}>
                <td className={num}>{'left' in r ? r.left + 1 : ''}</td>
                <td
                  className={cn(
                    cell,
                    left !== null && r.kind !== 'same' && 'bg-danger/10',
                    left === null && 'bg-surface-2',
                  )}
                >
                  {left !== null && mark && (
                    <span className="sr-only">{mark === 'changed' ? 'changed from' : mark}: </span>
                  )}
                  {left}
                </td>
                <td className={num}>{'right' in r ? r.right + 1 : ''}</td>
                <td
                  className={cn(
                    cell,
                    right !== null && r.kind !== 'same' && 'bg-ok/10',
                    right === null && 'bg-surface-2',
                  )}
                >
                  {right !== null && mark && (
                    <span className="sr-only">{mark === 'changed' ? 'changed to' : mark}: </span>
                  )}
                  {right}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
