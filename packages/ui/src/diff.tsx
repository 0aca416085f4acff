import { cn } from './cn.ts';

export type DiffRow =
  | { kind: 'same'; left: number; right: number; text: string }
  | { kind: 'removed'; left: number; text: string }
  | { kind: 'added'; right: number; text: string }
  | { kind: 'changed'; left: number; right: number; before: string; after: string };

/** Above this many lines a side, lines are compared by position (no alignment). */
const MAX_ALIGNED = 2000;

/**
 * Aligns two texts line by line (longest common subsequence); a removed line followed by an
 * added one is shown as one changed row. Line numbers are 1-based.
 */
export function diffLines(before: string, after: string): DiffRow[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const n = a.length;
  const m = b.length;
  const raw: DiffRow[] = [];
  if (n > MAX_ALIGNED || m > MAX_ALIGNED) {
    for (let i = 0; i < Math.max(n, m); i++) {
      if (i < n && i < m && a[i] === b[i])
        raw.push({ kind: 'same', left: i + 1, right: i + 1, text: a[i]! });
      else {
        if (i < n) raw.push({ kind: 'removed', left: i + 1, text: a[i]! });
        if (i < m) raw.push({ kind: 'added', right: i + 1, text: b[i]! });
      }
    }
  } else {
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] =
          a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) {
        raw.push({ kind: 'same', left: i + 1, right: j + 1, text: a[i]! });
        i++;
        j++;
      } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        raw.push({ kind: 'removed', left: i + 1, text: a[i]! });
        i++;
      } else {
        raw.push({ kind: 'added', right: j + 1, text: b[j]! });
        j++;
      }
    }
  }
  // Pair each run of removals with the run of additions that follows it.
  const rows: DiffRow[] = [];
  for (let k = 0; k < raw.length; ) {
    const removed: Extract<DiffRow, { kind: 'removed' }>[] = [];
    while (raw[k]?.kind === 'removed') removed.push(raw[k++] as (typeof removed)[number]);
    const added: Extract<DiffRow, { kind: 'added' }>[] = [];
    while (raw[k]?.kind === 'added') added.push(raw[k++] as (typeof added)[number]);
    if (removed.length === 0 && added.length === 0) {
      rows.push(raw[k++]!);
      continue;
    }
    const paired = Math.min(removed.length, added.length);
    for (let p = 0; p < paired; p++) {
      rows.push({
        kind: 'changed',
        left: removed[p]!.left,
        right: added[p]!.right,
        before: removed[p]!.text,
        after: added[p]!.text,
      });
    }
    rows.push(...removed.slice(paired), ...added.slice(paired));
  }
  return rows;
}

const cell = 'px-2 py-0.5 align-top font-mono text-xs whitespace-pre-wrap break-all';
const num = 'w-10 select-none px-2 py-0.5 text-right align-top font-mono text-xs text-muted';

function Side({ line, text, mark }: { line?: number; text?: string; mark?: 'removed' | 'added' }) {
  return (
    <>
      <td className={num}>{line ?? ''}</td>
      <td
        className={cn(
          cell,
          mark === 'removed' && 'bg-danger/10',
          mark === 'added' && 'bg-ok/10',
          text === undefined && 'bg-surface-2',
        )}
      >
        {mark && (
          <span aria-hidden="true" className="mr-1 select-none text-muted">
            {mark === 'removed' ? '−' : '+'}
          </span>
        )}
        {mark && <span className="sr-only">{mark === 'removed' ? 'removed: ' : 'added: '}</span>}
        {text}
      </td>
    </>
  );
}

/**
 * Two versions of a text side by side, line by line: removed lines on the left, added on the
 * right, changed lines facing each other. Marked by sign and by words for screen readers, not
 * by colour alone. Presentational: give it the two texts (e.g. pretty-printed JSON).
 */
export function SideBySideDiff({
  label,
  before,
  after,
  beforeLabel = 'Before',
  afterLabel = 'After',
  className,
}: {
  /** Accessible name of the table. */
  label: string;
  before: string;
  after: string;
  beforeLabel?: string;
  afterLabel?: string;
  className?: string;
}) {
  const rows = diffLines(before, after);
  const changes = rows.filter((r) => r.kind !== 'same').length;
  return (
    <div className={cn('overflow-x-auto rounded-md border border-border', className)}>
      <table aria-label={label} className="w-full table-fixed border-collapse">
        <caption className="sr-only">
          {changes === 0 ? 'No differences' : `${changes} changed line${changes === 1 ? '' : 's'}`}
        </caption>
        <thead className="bg-surface-2 text-left text-xs text-muted">
          <tr>
            <th scope="col" className="w-10 px-2 py-1">
              <span className="sr-only">{beforeLabel} line</span>
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              {beforeLabel}
            </th>
            <th scope="col" className="w-10 px-2 py-1">
              <span className="sr-only">{afterLabel} line</span>
            </th>
            <th scope="col" className="px-2 py-1 font-medium">
              {afterLabel}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const key = `${'left' in r ? r.left : ''}:${'right' in r ? r.right : ''}`;
            switch (r.kind) {
              case 'same':
                return (
                  <tr key={key}>
                    <Side line={r.left} text={r.text} />
                    <Side line={r.right} text={r.text} />
                  </tr>
                );
              case 'changed':
                return (
                  <tr key={key}>
                    <Side line={r.left} text={r.before} mark="removed" />
                    <Side line={r.right} text={r.after} mark="added" />
                  </tr>
                );
              case 'removed':
                return (
                  <tr key={key}>
                    <Side line={r.left} text={r.text} mark="removed" />
                    <Side />
                  </tr>
                );
              default:
                return (
                  <tr key={key}>
                    <Side />
                    <Side line={r.right} text={r.text} mark="added" />
                  </tr>
                );
            }
          })}
        </tbody>
      </table>
    </div>
  );
}
