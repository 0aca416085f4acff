'use client';
import { Button, Dialog, ErrorPanel, TextField } from '@koukan/ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { fieldError as fieldErrorOf } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';

/** New keys published beside the current ones; they sign after the wait, the old retire later. */
export function RotateDialog({
  name,
  open,
  onOpenChange,
}: {
  name: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rotate = useMutation(
    trpc.domains.rotate.mutationOptions({
      onSuccess: async () => {
        onOpenChange(false);
        await queryClient.invalidateQueries(trpc.domains.pathFilter());
      },
    }),
  );
  const fieldError = (f: string) => fieldErrorOf(rotate.error, f);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    rotate.mutate({
      name,
      publish_wait: String(f.get('publish_wait') ?? '2d'),
      grace: String(f.get('grace') ?? '7d'),
    });
  }

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Rotate the keys of ${name}`}
      description="New RSA and Ed25519 keys get new selectors. Publish their records at once: they sign after the wait, and the replaced keys stay published through the grace period so mail they signed still verifies."
    >
      <form onSubmit={onSubmit} className="space-y-3" aria-label="Rotate the keys">
        <TextField
          label="Sign with the new keys after"
          name="publish_wait"
          defaultValue="2d"
          hint="time to publish the new records, e.g. 2d, 12h"
          error={fieldError('publish_wait')}
        />
        <TextField
          label="Keep the old keys published for"
          name="grace"
          defaultValue="7d"
          hint="after the switch, e.g. 7d"
          error={fieldError('grace')}
        />
        {rotate.error && !fieldError('publish_wait') && !fieldError('grace') && (
          <ErrorPanel title="Not rotated" message={errorMessage(rotate.error)} />
        )}
        <Button type="submit" variant="primary" disabled={rotate.isPending}>
          {rotate.isPending ? 'Rotating…' : 'Rotate keys'}
        </Button>
      </form>
    </Dialog>
  );
}
