'use client';
import { chainNameSchema } from '@koukan/db/schema';
import type { ChainSummary } from '@koukan/services';
import {
  Badge,
  Button,
  columnHelper,
  DataTable,
  EmptyState,
  formatTimestamp,
  TextField,
} from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';

const h = columnHelper<ChainSummary>();
const columns = h.columns([
  h.accessor('name', {
    header: 'Chain',
    cell: (c) => (
      <Link
        href={`/chains/${encodeURIComponent(c.getValue())}`}
        className="font-medium text-accent underline-offset-2 hover:underline"
      >
        {c.getValue()}
      </Link>
    ),
  }),
  h.accessor('filters', {
    header: 'Filters',
    cell: (c) => (
      <span className="text-xs">
        {c
          .getValue()
          .map((f) => f.filter)
          .join(' → ')}
      </span>
    ),
  }),
  h.accessor('senders', {
    header: 'Used by',
    cell: (c) => {
      const { senders, used_by_chains } = c.row.original;
      if (!senders.length && !used_by_chains.length)
        return <span className="text-muted">unused</span>;
      return (
        <ul className="flex flex-wrap gap-1">
          {senders.map((s) => (
            <li key={`s-${s}`}>
              <Badge tone="info">sender {s}</Badge>
            </li>
          ))}
          {used_by_chains.map((s) => (
            <li key={`c-${s}`}>
              <Badge tone="neutral">exploder of {s}</Badge>
            </li>
          ))}
        </ul>
      );
    },
  }),
  h.accessor('version', {
    header: 'Revision',
    cell: (c) => (
      <Link
        href={`/chains/${encodeURIComponent(c.row.original.name)}/revisions`}
        className="text-accent underline-offset-2 hover:underline"
      >
        {c.getValue()}
        {/* the visible number starts the link's name (axe: label-content-name-mismatch) */}
        <span className="sr-only">: revision history of {c.row.original.name}</span>
      </Link>
    ),
  }),
  h.accessor('updated_at', {
    header: 'Saved (UTC)',
    cell: (c) => <span className="font-mono text-xs">{formatTimestamp(c.getValue())}</span>,
  }),
]);

export function ChainsTable() {
  const trpc = useTRPC();
  const query = useQuery(trpc.chains.list.queryOptions());
  const me = useQuery(trpc.me.get.queryOptions());
  return (
    <div className="flex flex-col gap-4">
      {me.data?.role === 'admin' && <NewChain existing={query.data?.map((c) => c.name) ?? []} />}
      <DataTable
        label="Chains"
        columns={columns}
        data={query.data}
        getRowId={(r) => r.id}
        {...tableState(query)}
        empty={<EmptyState title="No chains yet">An admin creates one here.</EmptyState>}
      />
    </div>
  );
}

/** A name, then the editor opens on an empty chain of that name (created at its first save). */
function NewChain({ existing }: { existing: string[] }) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const check = chainNameSchema.safeParse(name);
        if (!check.success) return setError(check.error.issues[0]!.message);
        if (existing.includes(name)) return setError('a chain of that name exists');
        router.push(`/chains/${encodeURIComponent(name)}?new=1`);
      }}
    >
      <TextField
        label="New chain name"
        value={name}
        error={error ?? undefined}
        onChange={(e) => {
          setName(e.target.value);
          setError(null);
        }}
      />
      <Button type="submit">New chain</Button>
    </form>
  );
}
