'use client';
import { cn } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useQueryStates } from 'nuqs';
import { useTRPC } from '../../../trpc/react.tsx';
import { sandboxSearchParams } from './search-params.ts';

/** The inbox's mailboxes with their counts; choosing one filters the list. */
export function Mailboxes() {
  const trpc = useTRPC();
  const boxes = useQuery(trpc.sandbox.mailboxes.queryOptions());
  const [s, set] = useQueryStates(sandboxSearchParams, { shallow: true, history: 'push' });
  const total = (boxes.data ?? []).reduce((a, b) => a + b.count, 0);
  const item = (mailbox: string, label: string, count: number) => (
    <li key={mailbox || '*'}>
      <button
        type="button"
        aria-current={s.mailbox === mailbox ? 'page' : undefined}
        onClick={() => void set({ mailbox: mailbox || null, cursor: null })}
        className={cn(
          'flex w-full items-center justify-between gap-2 rounded-md px-2.5 py-1.5 text-left text-sm hover:bg-surface-2',
          s.mailbox === mailbox && 'bg-surface-2 font-medium',
        )}
      >
        <span className="truncate">{label}</span>
        <span className="text-xs text-muted tabular-nums">{count.toLocaleString('en-US')}</span>
      </button>
    </li>
  );
  return (
    <nav aria-label="Mailboxes" className="rounded-lg border border-border bg-surface p-2">
      <ul className="space-y-0.5">
        {item('', 'All mailboxes', total)}
        {(boxes.data ?? []).map((b) => item(b.mailbox, b.mailbox, b.count))}
      </ul>
    </nav>
  );
}
