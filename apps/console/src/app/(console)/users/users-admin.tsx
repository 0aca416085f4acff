'use client';
import { consoleRoles } from '@koukan/db/schema';
import {
  Badge,
  Button,
  columnHelper,
  DataTable,
  Dialog,
  ErrorPanel,
  formatTimestamp,
  SecretReveal,
  SelectField,
  TextField,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { errorMessage, tableState } from '../../../lib/errors.ts';
import { fieldError as fieldErrorOf } from '../../../lib/form-errors.ts';
import type { ConsoleUser } from '../../../server/auth/users.ts';
import { useTRPC } from '../../../trpc/react.tsx';

const roleOptions = consoleRoles.map((r) => ({ value: r, label: r }));

export function UsersAdmin({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [inviteOpen, setInviteOpen] = useState(false);
  const [secret, setSecret] = useState<{ email: string; password: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries(trpc.users.list.queryFilter());
  const invite = useMutation(
    trpc.users.invite.mutationOptions({
      onSuccess: async (r) => {
        setInviteOpen(false);
        setSecret({ email: r.user.email, password: r.temporaryPassword });
        await invalidate();
      },
    }),
  );
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: invalidate }));
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({ onSuccess: invalidate }),
  );
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: (r) => setSecret({ email: r.user.email, password: r.temporaryPassword }),
    }),
  );
  const rowError = setRole.error ?? setDisabled.error ?? reset.error;

  const h = columnHelper<ConsoleUser>();
  const columns = h.columns([
    h.accessor('email', {
      header: 'User',
      cell: (c) => (
        <div>
          <div className="font-medium break-all">{c.getValue()}</div>
          <div className="text-xs text-muted">{c.row.original.name}</div>
        </div>
      ),
    }),
    h.accessor('role', {
      header: 'Role',
      cell: (c) => (
        <SelectField
          label={`Role of ${c.row.original.email}`}
          className="[&>label]:sr-only"
          options={roleOptions}
          value={c.getValue()}
          disabled={c.row.original.id === meId || setRole.isPending}
          onChange={(e) =>
            setRole.mutate({
              userId: c.row.original.id,
              role: e.target.value as ConsoleUser['role'],
            })
          }
        />
      ),
    }),
    h.accessor('disabledAt', {
      header: 'State',
      cell: (c) =>
        c.getValue() ? <Badge tone="danger">disabled</Badge> : <Badge tone="ok">active</Badge>,
    }),
    h.accessor('createdAt', { header: 'Created', cell: (c) => formatTimestamp(c.getValue()) }),
    h.display({
      id: 'actions',
      header: 'Actions',
      cell: (c) => {
        const u = c.row.original;
        if (u.id === meId) return <span className="text-xs text-muted">you</span>;
        return (
          <div className="flex flex-wrap gap-1.5">
            <Button
              size="sm"
              aria-label={`${u.disabledAt ? 'Enable' : 'Disable'} ${u.email}`}
              onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabledAt })}
            >
              {u.disabledAt ? 'Enable' : 'Disable'}
            </Button>
            <Button
              size="sm"
              aria-label={`Reset password of ${u.email}`}
              onClick={() => reset.mutate({ userId: u.id })}
            >
              Reset password
            </Button>
          </div>
        );
      },
    }),
  ]);

  function onInvite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    invite.mutate({
      email: String(f.get('email') ?? ''),
      name: String(f.get('name') ?? ''),
      role: String(f.get('role')) as ConsoleUser['role'],
    });
  }

  const fieldError = (name: string) => fieldErrorOf(invite.error, name);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-xl font-semibold">Users</h1>
        <Button variant="primary" onClick={() => setInviteOpen(true)}>
          Invite user
        </Button>
      </div>
      <p className="text-sm text-muted">
        Admins manage users and configuration; operators act on messages; viewers only look.
        Disabling a user ends their sessions at once.
      </p>
      {rowError && <ErrorPanel title="Not changed" message={errorMessage(rowError)} />}
      <DataTable
        label="Users"
        columns={columns}
        data={users.data}
        getRowId={(u) => u.id}
        {...tableState(users)}
      />
      <Dialog
        open={inviteOpen}
        onOpenChange={setInviteOpen}
        title="Invite a user"
        description="They get a temporary password to sign in with; there is no mail to send it."
      >
        <form id="invite" onSubmit={onInvite} className="space-y-3" aria-label="Invite a user">
          <TextField label="Email" name="email" type="email" required error={fieldError('email')} />
          <TextField label="Name" name="name" required error={fieldError('name')} />
          <SelectField label="Role" name="role" options={roleOptions} defaultValue="viewer" />
          {invite.error && !fieldError('email') && !fieldError('name') && (
            <ErrorPanel title="Not invited" message={errorMessage(invite.error)} />
          )}
          <Button type="submit" variant="primary" disabled={invite.isPending}>
            Create user
          </Button>
        </form>
      </Dialog>
      <Dialog
        open={secret !== null}
        onOpenChange={(o) => !o && setSecret(null)}
        title="Temporary password"
      >
        {secret && (
          <SecretReveal label="Temporary password" value={secret.password}>
            <p>
              Give <strong>{secret.email}</strong> this temporary password. It is shown once and
              stored only as a hash.
            </p>
            <p className="text-xs text-muted">
              They sign in at{' '}
              {typeof window === 'undefined' ? '' : `${window.location.origin}/sign-in`}.
            </p>
          </SecretReveal>
        )}
      </Dialog>
    </div>
  );
}
