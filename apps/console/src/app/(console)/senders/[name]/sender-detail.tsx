'use client';
import {
  Badge,
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  ErrorPanel,
  LoadingBlock,
} from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { SenderForm } from '../sender-form.tsx';
import { ApiKeysPanel } from './api-keys-panel.tsx';

export function SenderDetail({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const senders = useQuery(trpc.senders.list.queryOptions());
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [saved, setSaved] = useState(false);
  const isAdmin = me.data?.role === 'admin';
  const invalidate = () => queryClient.invalidateQueries(trpc.senders.list.queryFilter());
  const update = useMutation(
    trpc.senders.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await invalidate();
      },
    }),
  );
  const setEnabled = useMutation(
    trpc.senders.setEnabled.mutationOptions({
      onSuccess: async () => {
        setConfirmDisable(false);
        await invalidate();
      },
    }),
  );

  if (senders.isPending) return <LoadingBlock label="Loading sender" />;
  if (senders.error)
    return <ErrorPanel title="Could not load" message={errorMessage(senders.error)} />;
  const sender = senders.data.find((s) => s.name === name);
  if (!sender) {
    return (
      <EmptyState
        title={`No sender named “${name}”`}
        action={<Link href="/senders">All senders</Link>}
      />
    );
  }

  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm text-muted">
        <Link href="/senders" className="hover:underline">
          Senders
        </Link>{' '}
        / {sender.name}
      </nav>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <h1 className="text-xl font-semibold">Sender {sender.name}</h1>
          {sender.enabled ? (
            <Badge tone="ok">enabled</Badge>
          ) : (
            <Badge tone="danger">disabled</Badge>
          )}
        </div>
        {isAdmin ? (
          sender.enabled ? (
            <Button variant="danger" onClick={() => setConfirmDisable(true)}>
              Disable sender
            </Button>
          ) : (
            <Button
              onClick={() =>
                setEnabled.mutate({ name, enabled: true, expected_version: sender.version })
              }
              disabled={setEnabled.isPending}
            >
              Enable sender
            </Button>
          )
        ) : null}
      </div>
      {setEnabled.error && !confirmDisable ? (
        <ErrorPanel title="Not changed" message={errorMessage(setEnabled.error)} />
      ) : null}
      {!sender.enabled ? (
        <p className="text-sm text-muted">
          Disabled: every router refuses its API keys (403); its queued mail stays queued.
        </p>
      ) : null}

      <Card title="Settings">
        {saved && !update.isPending ? (
          <p role="status" className="mb-3 text-sm text-ok">
            Saved (version {sender.version}).
          </p>
        ) : null}
        <SenderForm
          key={sender.version}
          mode="edit"
          defaultValues={{
            name: sender.name,
            description: sender.description,
            output_chain: sender.output_chain,
            retry: sender.retry,
            notification: sender.notification,
          }}
          readOnly={!isAdmin}
          pending={update.isPending}
          submitLabel="Save sender"
          onSubmit={({ name: _n, ...patch }) => {
            setSaved(false);
            return update.mutateAsync({ name, expected_version: sender.version, patch });
          }}
        />
      </Card>

      <ApiKeysPanel sender={sender.name} canEdit={isAdmin} />

      <ConfirmDialog
        open={confirmDisable}
        onOpenChange={(o) => {
          setConfirmDisable(o);
          if (!o) setEnabled.reset();
        }}
        title={`Disable sender ${sender.name}?`}
        description="Every router refuses its API keys within a second (REST and SMTP); its queued mail stays queued until it is enabled again."
        confirmLabel="Disable sender"
        danger
        busy={setEnabled.isPending}
        onConfirm={() =>
          setEnabled.mutate({ name, enabled: false, expected_version: sender.version })
        }
      />
    </div>
  );
}
