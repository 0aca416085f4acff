'use client';
import { allowedTransitions } from '@koukan/db/state';
import type { BulkActionName, BulkSelection } from '@koukan/services';
import { Button, ConfirmDialog, ErrorPanel } from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import type { QueueName } from './search-params.ts';

const actionLabels: Record<BulkActionName, string> = {
  retry_now: 'Retry now',
  hold: 'Hold',
  release: 'Release',
  cancel: 'Cancel',
};

const pastTense: Record<BulkActionName, string> = {
  retry_now: 'Scheduled for a retry now',
  hold: 'Held',
  release: 'Released',
  cancel: 'Cancelled',
};

const n = (x: number) => x.toLocaleString('en-US');

const scopeWords = {
  group: 'every message of the group',
  selection: 'the selected messages',
  filter: 'every message matching the filter',
};

/**
 * Bulk retry now / hold / release / cancel of a selection (ids) or a filter (a group), for
 * operators and admins. Each asks first, with the server's count of the messages it touches.
 */
export function BulkActions({
  queue,
  selection,
  scope,
  onDone,
}: {
  queue: QueueName;
  selection: BulkSelection;
  /** What the buttons act on, in their accessible names: "Hold (group)". */
  scope: 'group' | 'selection' | 'filter';
  onDone?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const [pending, setPending] = useState<BulkActionName | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const count = useQuery({
    ...trpc.queues.count.queryOptions({ action: pending ?? 'hold', selection }),
    enabled: pending !== null,
    staleTime: 0,
    gcTime: 0,
  });
  const bulk = useMutation(
    trpc.queues.bulk.mutationOptions({
      onSuccess: async (r, input) => {
        const moved = r.touches - r.applied;
        setDone(
          `${pastTense[input.action]}: ${n(r.applied)} message${r.applied === 1 ? '' : 's'}${moved > 0 ? ` (${n(moved)} had moved on meanwhile)` : ''}.`,
        );
        setPending(null);
        onDone?.();
        await Promise.all([
          queryClient.invalidateQueries(trpc.queues.pathFilter()),
          queryClient.invalidateQueries(trpc.transactions.pathFilter()),
          queryClient.invalidateQueries(trpc.audit.pathFilter()),
        ]);
      },
      onError: () => setPending(null),
    }),
  );
  // the actions a queue's messages allow (the state machine's table; the server checks again)
  const actions = allowedTransitions(queue === 'waiting' ? 'queued' : queue);
  if (!me.data || me.data.role === 'viewer' || actions.length === 0) return null;
  const touches = count.data?.touches;
  const inflight = count.data?.inflight ?? 0;
  const description = count.isPending
    ? 'Counting the messages this touches…'
    : count.error
      ? `Could not count: ${errorMessage(count.error)}`
      : `This touches ${n(touches ?? 0)} message${touches === 1 ? '' : 's'}.${
          pending === 'cancel' && inflight > 0
            ? ` ${n(inflight)} in flight will be cancelled when their attempt ends (unless it delivers).`
            : ''
        }${pending === 'cancel' ? ' Cancelling cannot be undone.' : ''}`;
  return (
    <div className="flex flex-col gap-2">
      <fieldset className="flex flex-wrap items-center gap-2">
        <legend className="sr-only">Actions on {scopeWords[scope]}</legend>
        {actions.map((a) => (
          <Button
            key={a}
            size="sm"
            variant={a === 'cancel' ? 'danger' : 'secondary'}
            disabled={bulk.isPending}
            aria-label={`${actionLabels[a]} (${scope})`}
            onClick={() => {
              bulk.reset();
              setDone(null);
              setPending(a);
            }}
          >
            {actionLabels[a]}
          </Button>
        ))}
      </fieldset>
      {done && (
        <p role="status" className="text-xs text-muted">
          {done}
        </p>
      )}
      {bulk.error && (
        <ErrorPanel title="The bulk action failed" message={errorMessage(bulk.error)} />
      )}
      <ConfirmDialog
        open={pending !== null}
        onOpenChange={(open) => {
          if (!open) setPending(null);
        }}
        title={pending ? `${actionLabels[pending]} ${scopeWords[scope]}?` : ''}
        description={description}
        confirmLabel={
          pending && touches !== undefined
            ? `${actionLabels[pending]} ${n(touches)} message${touches === 1 ? '' : 's'}`
            : 'Confirm'
        }
        danger={pending === 'cancel'}
        busy={bulk.isPending || count.isPending || !touches}
        onConfirm={() => pending && bulk.mutate({ action: pending, selection })}
      />
    </div>
  );
}
