import type { UseQueryResult } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';

/** An error as words for the operator, with what to do where we know. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code;
    if (code === 'UNAUTHORIZED') return 'Your session has ended. Sign in again.';
    if (code === 'FORBIDDEN') return err.message || 'Your role does not allow this.';
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return 'Unknown error.';
}

/** An actor or author in words: a user by their email (`user:ops@x` → `ops@x`), else as it is. */
export const who = (actor: string) => actor.replace(/^user:/, '');

/** A query as a DataTable shows it: loading (or showing the last page as placeholder), its error. */
export const tableState = (q: UseQueryResult<unknown, unknown>) => ({
  loading: q.isPending || (q.isFetching && q.isPlaceholderData),
  error: q.error ? errorMessage(q.error) : null,
});
