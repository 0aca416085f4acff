'use client';
import type { ChainDiffRow } from '@koukan/services';
import { Badge, ErrorPanel } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '../../../../../lib/errors.ts';
import { useTRPC } from '../../../../../trpc/react.tsx';

const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));

function Row({ row }: { row: ChainDiffRow }) {
  switch (row.kind) {
    case 'same':
      return null;
    case 'added':
      return (
        <li>
          <Badge tone="ok">added</Badge> <span className="font-mono">{row.after.filter}</span> at{' '}
          {row.right + 1}
        </li>
      );
    case 'removed':
      return (
        <li>
          <Badge tone="danger">removed</Badge>{' '}
          <span className="font-mono">{row.before.filter}</span> from {row.left + 1}
        </li>
      );
    case 'changed':
      return (
        <li>
          <Badge tone="warn">changed</Badge> <span className="font-mono">{row.after.filter}</span>{' '}
          {row.left !== row.right
            ? `(moved ${row.left + 1} → ${row.right + 1})`
            : `at ${row.right + 1}`}
          <ul className="ml-4 list-disc">
            {row.fields.map((f) => (
              <li key={f.path}>
                <code className="font-mono">{f.path || '(entry)'}</code>: {show(f.before)} →{' '}
                {show(f.after)}
              </li>
            ))}
          </ul>
        </li>
      );
  }
}

/** The filter-level summary of a diff: which filters were added, removed or changed, and how. */
export function DiffSummary({ name, from, to }: { name: string; from: number; to: number }) {
  const trpc = useTRPC();
  const diff = useQuery(trpc.chains.diff.queryOptions({ name, from, to }));
  if (diff.error)
    return <ErrorPanel title="Could not compare" message={errorMessage(diff.error)} />;
  if (!diff.data) return null;
  const changes = diff.data.rows.filter((r) => r.kind !== 'same');
  return changes.length === 0 ? (
    <p className="text-sm text-muted">The two revisions have the same filters.</p>
  ) : (
    <ul aria-label="Changes by filter" className="flex flex-col gap-1 text-sm">
      {changes.map((r) => (
        <Row
          key={`${r.kind}-${'left' in r ? r.left : ''}-${'right' in r ? r.right : ''}`}
          row={r}
        />
      ))}
    </ul>
  );
}
