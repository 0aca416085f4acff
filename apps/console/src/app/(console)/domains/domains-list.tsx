'use client';
import type { DomainView } from '@koukan/services';
import {
  Badge,
  Button,
  columnHelper,
  DataTable,
  Dialog,
  EmptyState,
  ErrorPanel,
  formatTimestamp,
  TextField,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { errorMessage, tableState } from '../../../lib/errors.ts';
import { fieldError } from '../../../lib/form-errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';

/** The sending domains; admins add one (its keys are made and its records shown at once). */
export function DomainsList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const domains = useQuery(trpc.domains.list.queryOptions());
  const [open, setOpen] = useState(false);
  const add = useMutation(
    trpc.domains.add.mutationOptions({
      onSuccess: async (d) => {
        setOpen(false);
        await queryClient.invalidateQueries(trpc.domains.list.pathFilter());
        router.push(`/domains/${encodeURIComponent(d.name)}`);
      },
    }),
  );
  const isAdmin = me.data?.role === 'admin';
  const nameError = fieldError(add.error, 'name');

  const h = columnHelper<DomainView>();
  const columns = h.columns([
    h.accessor('name', {
      header: 'Domain',
      cell: (c) => (
        <Link
          href={`/domains/${encodeURIComponent(c.getValue())}`}
          className="font-medium text-accent hover:underline"
        >
          {c.getValue()}
        </Link>
      ),
    }),
    h.display({
      id: 'signing',
      header: 'Signing with',
      cell: (c) => {
        const active = c.row.original.keys.filter((k) => k.state === 'active');
        return active.length === 0 ? (
          <Badge tone="warn">no key</Badge>
        ) : (
          <span className="font-mono text-xs">{active.map((k) => k.selector).join(', ')}</span>
        );
      },
    }),
    h.display({
      id: 'keys',
      header: 'Keys',
      cell: (c) => {
        const pending = c.row.original.keys.filter((k) => k.state === 'pending').length;
        return (
          <span className="text-sm">
            {c.row.original.keys.length}
            {pending > 0 && (
              <Badge tone="info" className="ml-2">
                {pending} pending
              </Badge>
            )}
          </span>
        );
      },
    }),
    h.accessor('created_at', { header: 'Added', cell: (c) => formatTimestamp(c.getValue()) }),
  ]);

  function onAdd(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    add.mutate({ name: String(new FormData(e.currentTarget).get('name') ?? '').trim() });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-xl font-semibold">Domains</h1>
        {isAdmin && (
          <Button variant="primary" onClick={() => setOpen(true)}>
            Add domain
          </Button>
        )}
      </div>
      <p className="text-sm text-muted">
        Mail from a sending domain is DKIM-signed with its keys (RSA and Ed25519). Publish each
        domain’s records, then check them.
        {!isAdmin && me.data && ' Admins add and rotate domains.'}
      </p>
      {domains.data?.length === 0 ? (
        <EmptyState title="No sending domains">
          Mail goes out unsigned until its From: domain is added here (or with{' '}
          <code>npm run koukan -- domain add example.com</code>).
        </EmptyState>
      ) : (
        <DataTable
          label="Domains"
          columns={columns}
          data={domains.data}
          getRowId={(d) => d.name}
          {...tableState(domains)}
        />
      )}
      <Dialog
        open={open}
        onOpenChange={setOpen}
        title="Add a sending domain"
        description="Koukan makes an RSA-2048 and an Ed25519 DKIM key for it and shows the DNS records to publish."
      >
        <form onSubmit={onAdd} className="space-y-3" aria-label="Add a sending domain">
          <TextField
            label="Domain name"
            name="name"
            placeholder="example.com"
            required
            autoComplete="off"
            error={nameError}
          />
          {add.error && !nameError && (
            <ErrorPanel title="Not added" message={errorMessage(add.error)} />
          )}
          <Button type="submit" variant="primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add'}
          </Button>
        </form>
      </Dialog>
    </div>
  );
}
