import { TRPCClientError } from '@trpc/client';
import type { FieldErrors, FieldValues, Path, UseFormSetError } from 'react-hook-form';

export interface FieldIssue {
  field?: string;
  message: string;
}

/** The field errors a refused procedure named (the errorFormatter's `data.fields`). */
export function fieldIssues(err: unknown): FieldIssue[] {
  if (!(err instanceof TRPCClientError)) return [];
  return ((err.data as { fields?: FieldIssue[] } | undefined)?.fields ?? []).filter(Boolean);
}

/** The message a refused procedure gave for one field, if it named that field. */
export function fieldError(err: unknown, field: string): string | undefined {
  return fieldIssues(err).find((i) => i.field === field)?.message;
}

/** `patch.retry.schedule[0]` → `retry.schedule.0` (react-hook-form's path form). */
export function toFormPath(field: string, stripPrefix?: string): string {
  let f = field.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
  if (stripPrefix && f.startsWith(`${stripPrefix}.`)) f = f.slice(stripPrefix.length + 1);
  return f;
}

/**
 * Puts a server's field errors on the form's fields (those it has: `known` names the top-level
 * ones); returns the messages that belong to no field, for a form-level error panel.
 */
export function applyServerErrors<T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  known: readonly string[],
  stripPrefix?: string,
): string[] {
  const rest: string[] = [];
  for (const issue of fieldIssues(err)) {
    const path = issue.field ? toFormPath(issue.field, stripPrefix) : '';
    if (path && known.includes(path.split('.')[0]!)) {
      setError(path as Path<T>, { type: 'server', message: issue.message });
    } else {
      rest.push(issue.field ? `${issue.field}: ${issue.message}` : issue.message);
    }
  }
  return rest;
}

/**
 * The first error message at `path` or under it (an array field's items), for showing one
 * message beside one input.
 */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  let node: unknown = errors;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return firstMessage(node);
}

function firstMessage(node: unknown, depth = 0): string | undefined {
  if (!node || typeof node !== 'object' || depth > 4) return undefined;
  const own = (node as { message?: unknown }).message;
  if (typeof own === 'string' && own) return own;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'ref' || k === 'type' || k === 'types') continue;
    const m = firstMessage(v, depth + 1);
    if (m) return /^\d+$/.test(k) ? `item ${Number(k) + 1}: ${m}` : m;
  }
  return undefined;
}
