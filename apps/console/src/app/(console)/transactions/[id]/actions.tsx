'use client';
import { allowedTransitions } from '@koukan/db/state';
import type { TransactionActionName, TransactionDetail } from '@koukan/services';
import { Button, ConfirmDialog, ErrorPanel } from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';

const labels: Record<TransactionActionName, string> = {
  retry_now: 'Retry now',
  hold: 'Hold',
  release: 'Release',
  cancel: 'Cancel delivery',
};

/** Retry now, hold, release, cancel: shown to operators and admins; the server checks too. */
export function TransactionActions({ detail }: { detail: TransactionDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const [confirm, setConfirm] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const id = detail.transaction.id;
  const action = useMutation(
    trpc.transactions.action.mutationOptions({
      onSuccess: async (r) => {
        setDone(
          `${labels[r.action]}: ${r.from} → ${r.to}${r.cancel_requested ? ' (cancel requested)' : ''}`,
        );
        setConfirm(false);
        await Promise.all([
          queryClient.invalidateQueries(trpc.transactions.detail.queryFilter({ id })),
          queryClient.invalidateQueries(trpc.transactions.list.pathFilter()),
        ]);
      },
    }),
  );
  if (!me.data || me.data.role === 'viewer') return null;
  // the state machine's own table; the server checks again
  const actions = allowedTransitions(
    detail.transaction.status,
    Boolean(detail.transaction.cancel_requested_at),
  );
  if (actions.length === 0) return null;
  return (
    <div className="flex flex-col items-end gap-2">
      <fieldset className="flex flex-wrap gap-2">
        <legend className="sr-only">Actions</legend>
        {actions.map((a) => (
          <Button
            key={a}
            variant={a === 'cancel' ? 'danger' : a === 'retry_now' ? 'primary' : 'secondary'}
            disabled={action.isPending}
            onClick={() => (a === 'cancel' ? setConfirm(true) : action.mutate({ id, action: a }))}
          >
            {labels[a]}
          </Button>
        ))}
      </fieldset>
      {done && !action.error && (
        <p role="status" className="text-xs text-muted">
          {done}
        </p>
      )}
      {action.error && <ErrorPanel title="Action refused" message={errorMessage(action.error)} />}
      <ConfirmDialog
        open={confirm}
        onOpenChange={setConfirm}
        title="Cancel this delivery?"
        description={`The message to ${detail.transaction.recipients.join(', ')} will not be delivered. This cannot be undone.`}
        confirmLabel="Cancel delivery"
        danger
        busy={action.isPending}
        onConfirm={() => action.mutate({ id, action: 'cancel' })}
      />
    </div>
  );
}
