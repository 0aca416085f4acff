'use client';
import type { SenderSummary } from '@koukan/services';
import { Badge, Button, columnHelper, DataTable, Dialog, EmptyState } from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { KeyLookup } from './key-lookup.tsx';
import { retrySummary } from './retry-summary.ts';
import { SenderForm } from './sender-form.tsx';

export function SendersList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const me = useQuery(trpc.me.get.queryOptions());
  const senders = useQuery(trpc.senders.list.queryOptions());
  const [createOpen, setCreateOpen] = useState(false);
  const isAdmin = me.data?.role === 'admin';
  const create = useMutation(
    trpc.senders.create.mutationOptions({
      onSuccess: async (s) => {
        await queryClient.invalidateQueries(trpc.senders.list.queryFilter());
        setCreateOpen(false);
        router.push(`/senders/${s.name}`);
      },
    }),
  );

  const h = columnHelper<SenderSummary>();
  const columns = h.columns([
    h.accessor('name', {
      header: 'Sender',
      cell: (c) => (
        <div>
          <Link
            href={`/senders/${c.getValue()}`}
            className="font-medium text-accent hover:underline"
          >
            {c.getValue()}
          </Link>
          {c.row.original.description ? (
            <div className="text-xs text-muted">{c.row.original.description}</div>
          ) : null}
        </div>
      ),
    }),
    h.accessor('output_chain', {
      header: 'Output chain',
      cell: (c) => c.getValue() ?? <span className="text-muted">none</span>,
    }),
    h.accessor('retry', { header: 'Retry policy', cell: (c) => retrySummary(c.getValue()) }),
    h.accessor('notification', {
      header: 'DSN',
      cell: (c) => (c.getValue()?.enabled ? 'on' : 'off'),
    }),
    h.accessor('active_keys', { header: 'API keys', cell: (c) => c.getValue() }),
    h.accessor('enabled', {
      header: 'State',
      cell: (c) =>
        c.getValue() ? <Badge tone="ok">enabled</Badge> : <Badge tone="danger">disabled</Badge>,
    }),
  ]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-xl font-semibold">Senders</h1>
        {isAdmin ? (
          <Button variant="primary" onClick={() => setCreateOpen(true)}>
            Create sender
          </Button>
        ) : null}
      </div>
      <p className="text-sm text-muted">
        A sender is who submits mail (REST or SMTP, with its API keys) and the output chain its mail
        runs through. Changes reach every router within seconds.
      </p>
      <DataTable
        label="Senders"
        columns={columns}
        data={senders.data}
        getRowId={(s) => s.id}
        {...tableState(senders)}
        empty={<EmptyState title="No senders yet">Create one to submit mail.</EmptyState>}
      />
      <KeyLookup />
      <Dialog
        open={createOpen}
        onOpenChange={(o) => {
          setCreateOpen(o);
          if (!o) create.reset();
        }}
        title="Create a sender"
        description="It can submit mail once it has an API key."
      >
        {createOpen ? (
          <SenderForm
            mode="create"
            defaultValues={{
              name: '',
              description: '',
              output_chain: null,
              retry: null,
              notification: null,
            }}
            pending={create.isPending}
            submitLabel="Create sender"
            onSubmit={(values) => create.mutateAsync(values)}
          />
        ) : null}
      </Dialog>
    </div>
  );
}
