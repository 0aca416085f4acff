'use client';
import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';

/**
 * Keyset paging in the URL: the cursor of this page, the server's cursor of the next one, and
 * how to go to a cursor (null: the first page). Remembers the cursors of the pages before this
 * one, so "previous" goes back to newer pages. Each handler is undefined where there is no
 * such page.
 */
export function useCursorPages<C>(
  cursor: C | null,
  next: C | null | undefined,
  go: (cursor: C | null) => void,
): { onPrevious: (() => void) | undefined; onNext: (() => void) | undefined } {
  const [previous, setPrevious] = useState<(C | null)[]>([]);
  return {
    onPrevious: cursor
      ? () => {
          setPrevious((p) => p.slice(0, -1));
          go(previous.at(-1) ?? null);
        }
      : undefined,
    onNext: next
      ? () => {
          setPrevious((p) => [...p, cursor]);
          go(next);
        }
      : undefined,
  };
}

/** A list query's options that keep showing the last page while the next one loads. */
export const keepingPage = <T extends object>(options: T) => ({
  ...options,
  placeholderData: keepPreviousData,
});
