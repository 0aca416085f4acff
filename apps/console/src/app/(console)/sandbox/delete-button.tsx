'use client';
import { Button, ConfirmDialog, ErrorPanel } from '@koukan/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';

type Target = { id: string } | { mailbox: string } | { all: true };

/** Deletes one kept message, a mailbox or the whole inbox after asking; operators and admins. */
export function SandboxDeleteButton({
  target,
  label,
  question,
  description,
  onDeleted,
}: {
  target: Target;
  /** The button's name, e.g. "Delete message" or "Delete all in invoices". */
  label: string;
  question: string;
  description: string;
  onDeleted?: (deleted: number) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const [open, setOpen] = useState(false);
  const del = useMutation(
    trpc.sandbox.delete.mutationOptions({
      onSuccess: async (r) => {
        setOpen(false);
        await Promise.all([
          queryClient.invalidateQueries(trpc.sandbox.pathFilter()),
          queryClient.invalidateQueries(trpc.audit.pathFilter()),
        ]);
        onDeleted?.(r.deleted);
      },
      onError: () => setOpen(false),
    }),
  );
  if (!me.data || me.data.role === 'viewer') return null;
  return (
    <div className="flex flex-col items-end gap-2">
      <Button variant="danger" size="sm" onClick={() => setOpen(true)} disabled={del.isPending}>
        {label}
      </Button>
      {del.error && <ErrorPanel title="Not deleted" message={errorMessage(del.error)} />}
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title={question}
        description={description}
        confirmLabel={label}
        danger
        busy={del.isPending}
        onConfirm={() => del.mutate(target)}
      />
    </div>
  );
}
