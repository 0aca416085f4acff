'use client';
import type { ApiKeyView } from '@koukan/services';
import { apiKeyCreateInput } from '@koukan/services/api-keys/schemas';
import {
  Button,
  Card,
  ConfirmDialog,
  columnHelper,
  DataTable,
  Dialog,
  EmptyState,
  ErrorPanel,
  formatTimestamp,
  SecretReveal,
  TextField,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, tableState } from '../../../../lib/errors.ts';
import { fieldError } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';

export function ApiKeysPanel({ sender, canEdit }: { sender: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ sender }));
  const [createOpen, setCreateOpen] = useState(false);
  const [label, setLabel] = useState('');
  const [secret, setSecret] = useState<{ key: string; prefix: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.apiKeys.list.queryFilter()),
      queryClient.invalidateQueries(trpc.senders.list.queryFilter()),
    ]);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (r) => {
        setCreateOpen(false);
        setLabel('');
        setSecret({ key: r.key, prefix: r.apiKey.prefix });
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await invalidate();
      },
    }),
  );
  const labelCheck = apiKeyCreateInput.shape.name.safeParse(label);
  const labelError = !labelCheck.success
    ? labelCheck.error.issues[0]?.message
    : fieldError(create.error, 'name');

  const h = columnHelper<ApiKeyView>();
  const columns = h.columns([
    h.accessor('prefix', {
      header: 'Key',
      cell: (c) => (
        <div>
          <code className="font-mono">{c.getValue()}_…</code>
          {c.row.original.name ? (
            <div className="text-xs text-muted">{c.row.original.name}</div>
          ) : null}
        </div>
      ),
    }),
    h.accessor('created_at', { header: 'Created', cell: (c) => formatTimestamp(c.getValue()) }),
    h.accessor('last_used_at', {
      header: 'Last used',
      cell: (c) => (c.getValue() ? formatTimestamp(c.getValue()) : 'never'),
    }),
    ...(canEdit
      ? [
          h.display({
            id: 'actions',
            header: 'Actions',
            cell: (c) => (
              <Button
                size="sm"
                variant="danger"
                aria-label={`Revoke ${c.row.original.prefix}`}
                onClick={() => setRevoking(c.row.original)}
              >
                Revoke
              </Button>
            ),
          }),
        ]
      : []),
  ]);

  return (
    <Card
      title="API keys"
      aria-label="API keys"
      actions={
        canEdit ? (
          <Button variant="primary" onClick={() => setCreateOpen(true)}>
            Create API key
          </Button>
        ) : null
      }
    >
      <p className="mb-3 text-sm text-muted">
        One key works for REST (<code>Authorization: Bearer</code>) and SMTP submission (user{' '}
        <code>{sender}</code>). Keys are listed by their visible prefix; the secret is shown once,
        at creation. Last use is recorded at most once a minute.
      </p>
      <DataTable
        label={`API keys of ${sender}`}
        columns={columns}
        data={keys.data}
        getRowId={(k) => k.id}
        {...tableState(keys)}
        empty={
          <EmptyState title="No API keys">
            This sender cannot submit mail until it has one.
          </EmptyState>
        }
      />

      <Dialog
        open={createOpen}
        onOpenChange={(o) => {
          setCreateOpen(o);
          if (!o) create.reset();
        }}
        title="Create an API key"
        description={`For sender ${sender}. The secret is shown once, right after.`}
      >
        <form
          aria-label="New API key"
          className="space-y-3"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (labelCheck.success) create.mutate({ sender, name: label });
          }}
        >
          <TextField
            label="Label"
            hint="What uses it, e.g. billing app, production (optional)"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            error={labelError}
          />
          {create.error && !labelError ? (
            <ErrorPanel title="Not created" message={errorMessage(create.error)} />
          ) : null}
          <Button type="submit" variant="primary" disabled={create.isPending}>
            Create API key
          </Button>
        </form>
      </Dialog>

      <Dialog
        open={secret !== null}
        onOpenChange={(o) => !o && setSecret(null)}
        title="New API key"
        description="Copy it now: it is stored only as a hash and cannot be shown again."
      >
        {secret ? (
          <SecretReveal label="API key" value={secret.key}>
            <p>
              Key <code className="font-mono">{secret.prefix}</code> for sender{' '}
              <strong>{sender}</strong>.
            </p>
          </SecretReveal>
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(o) => {
          if (!o) {
            setRevoking(null);
            revoke.reset();
          }
        }}
        title={`Revoke ${revoking?.prefix ?? ''}?`}
        description="Every router refuses it within a second, for REST and SMTP. This cannot be undone."
        confirmLabel="Revoke"
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      />
      {revoke.error ? (
        <ErrorPanel title="Not revoked" message={errorMessage(revoke.error)} />
      ) : null}
    </Card>
  );
}
