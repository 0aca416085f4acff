'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { Button, ErrorPanel } from '@koukan/ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { errorMessage } from '../../../../lib/errors.ts';
import { type FieldIssue, fieldIssues } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import type { Entry } from './entry-errors.ts';

const saveSchema = z.object({
  comment: z.string().trim().min(1, 'say why: it is shown in the revision history').max(500),
});
type SaveValues = z.infer<typeof saveSchema>;

/** Save with a comment: a new revision, or a conflict if someone saved meanwhile. */
export function SaveForm({
  name,
  filters,
  version,
  dirty,
  errorCount,
  onFieldErrors,
  onSaved,
  notice,
}: {
  name: string;
  filters: Entry[];
  version: number;
  dirty: boolean;
  errorCount: number;
  onFieldErrors: (fields: FieldIssue[] | undefined) => void;
  /** Called after a save; the editor then reloads (and this form remounts). */
  onSaved: (notice: string) => void;
  /** What the last save did, kept across that reload. */
  notice: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useForm<SaveValues>({
    resolver: zodResolver(saveSchema),
    defaultValues: { comment: '' },
  });
  const save = useMutation(
    trpc.chains.save.mutationOptions({
      onSuccess: async (r) => {
        form.reset({ comment: '' });
        onSaved(
          r.changed ? `Saved as revision ${r.chain.version}.` : 'Nothing changed: no new revision.',
        );
        await Promise.all([
          queryClient.invalidateQueries(trpc.chains.get.queryFilter({ name })),
          queryClient.invalidateQueries(trpc.chains.revisions.queryFilter({ name })),
          queryClient.invalidateQueries(trpc.chains.list.queryFilter()),
        ]);
      },
      onError: (err) => onFieldErrors(fieldIssues(err)),
    }),
  );
  const conflict = save.error instanceof TRPCClientError && save.error.data?.code === 'CONFLICT';
  const { errors } = form.formState;
  return (
    <form
      aria-label="Save the chain"
      className="flex flex-col gap-2 rounded-lg border border-border bg-surface p-3"
      onSubmit={form.handleSubmit((v) => {
        save.mutate({ name, filters, comment: v.comment, expected_version: version });
      })}
    >
      <label htmlFor="save-comment" className="text-xs font-medium text-muted">
        Comment (why this change)
      </label>
      <textarea
        id="save-comment"
        rows={2}
        className="rounded-md border border-border bg-surface px-2.5 py-1.5 text-sm"
        aria-invalid={errors.comment ? true : undefined}
        aria-describedby={errors.comment ? 'save-comment-error' : undefined}
        {...form.register('comment')}
      />
      {errors.comment && (
        <p id="save-comment-error" className="text-xs text-danger">
          {errors.comment.message}
        </p>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <Button
          type="submit"
          variant="primary"
          disabled={save.isPending || errorCount > 0 || !dirty}
        >
          Save
        </Button>
        <span className="text-xs text-muted" role="status">
          {save.isPending
            ? 'Saving…'
            : errorCount > 0
              ? `Fix ${errorCount} field error${errorCount === 1 ? '' : 's'} to save.`
              : !dirty
                ? (notice ?? 'No unsaved changes.')
                : 'Unsaved changes.'}
        </span>
      </div>
      {save.error && (
        <ErrorPanel
          title={conflict ? 'Someone saved this chain meanwhile' : 'Not saved'}
          message={errorMessage(save.error)}
          action={
            conflict ? (
              <Button
                size="sm"
                onClick={() =>
                  void queryClient.invalidateQueries(trpc.chains.get.queryFilter({ name }))
                }
              >
                Load the latest revision (drops your edits)
              </Button>
            ) : undefined
          }
        />
      )}
    </form>
  );
}
