'use client';
import type { QueueItem } from '@koukan/db';
import { columnHelper, DataTable, EmptyState, StatusBadge } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useQueryStates } from 'nuqs';
import { useState } from 'react';
import { mailFromCell, timeCell } from '../../../components/cells.tsx';
import { keepingPage, useCursorPages } from '../../../components/use-cursor-pages.ts';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { BulkActions } from './bulk-actions.tsx';
import { groupName } from './queue-groups.tsx';
import { groupFilter, messagesInput, noGroup, queueSearchParams } from './search-params.ts';

const h = columnHelper<QueueItem>();

/** The time each queue is about: the next attempt, when it was held, when it failed. */
const queueTime = {
  waiting: ['nextAttemptAt', 'Next attempt (UTC)'],
  held: ['updatedAt', 'Held (UTC)'],
  failed: ['finishedAt', 'Failed (UTC)'],
} as const;

/**
 * At most this many messages are selected by hand (their ids travel in the count's URL); more
 * is what the group's or the filter's actions are for.
 */
const MAX_SELECTION = 200;

/** The opened group's messages; a selection belongs to one group and queue. */
export function GroupMessages() {
  const [s] = useQueryStates(queueSearchParams);
  const group = groupFilter(s);
  if (!group) return null;
  return <OpenGroup key={JSON.stringify(group)} />;
}

/** The opened group's messages, page by page, with actions on the group or a selection. */
function OpenGroup() {
  const trpc = useTRPC();
  const [s, set] = useQueryStates(queueSearchParams, { shallow: true, history: 'push' });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const filter = groupFilter(s);
  const input = messagesInput(filter ?? { queue: s.queue }, s);
  const query = useQuery({
    ...keepingPage(trpc.queues.messages.queryOptions(input)),
    enabled: filter !== null,
  });
  const pages = useCursorPages(s.cursor, query.data?.next, (cursor) => void set({ cursor }));
  if (!filter) return null;
  const name = groupName(
    { domain: s.gdomain, replyCode: s.gcode || null, replyPattern: s.gpattern || null },
    s.by,
  );
  const items = query.data?.items ?? [];
  const allOnPage = items.length > 0 && items.every((i) => selected.has(i.id));
  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on && next.size < MAX_SELECTION) next.add(id);
      else if (!on) next.delete(id);
      return next;
    });
  const columns = h.columns([
    h.display({
      id: 'select',
      header: () => (
        <input
          type="checkbox"
          aria-label="Select every message on this page"
          checked={allOnPage}
          onChange={(e) => {
            for (const i of items) toggle(i.id, e.target.checked);
          }}
        />
      ),
      cell: (c) => (
        <input
          type="checkbox"
          aria-label={`Select the message to ${c.row.original.rcptTo.join(', ')}`}
          checked={selected.has(c.row.original.id)}
          onChange={(e) => toggle(c.row.original.id, e.target.checked)}
        />
      ),
    }),
    h.accessor('rcptTo', {
      header: 'Recipient',
      cell: (c) => (
        <Link
          href={`/transactions/${c.row.original.id}`}
          className="break-all text-accent underline-offset-2 hover:underline"
        >
          {c.getValue().join(', ')}
        </Link>
      ),
    }),
    h.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} /> }),
    h.accessor('mailFrom', { header: 'Envelope sender', cell: mailFromCell }),
    h.accessor('reply', {
      header: 'Last reply',
      cell: (c) => {
        const r = c.getValue();
        return r ? (
          <code className="line-clamp-2 font-mono text-xs">
            {r.code} {r.message}
          </code>
        ) : (
          <span className="text-muted">—</span>
        );
      },
    }),
    h.accessor('attemptCount', { header: 'Attempts' }),
    h.accessor('createdAt', { header: 'Created (UTC)', cell: timeCell }),
    h.accessor(queueTime[s.queue][0], { header: queueTime[s.queue][1], cell: timeCell }),
  ]);
  return (
    <section
      aria-labelledby="group-messages"
      className="rounded-lg border border-border bg-surface p-3"
    >
      <div className="mb-3 flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="group-messages" className="text-base font-semibold">
            Messages of the group
          </h2>
          <p className="font-mono text-xs text-muted">{name}</p>
        </div>
        <button
          type="button"
          className="text-sm text-accent underline-offset-2 hover:underline"
          onClick={() => void set(noGroup)}
        >
          Close group
        </button>
      </div>
      <div className="mb-3 flex flex-wrap gap-6">
        <div>
          <p className="mb-1 text-xs font-medium text-muted">The whole group</p>
          <BulkActions queue={s.queue} selection={{ filter }} scope="group" />
        </div>
        {selected.size > 0 && (
          <div>
            <p className="mb-1 text-xs font-medium text-muted">
              {selected.size} selected
              {selected.size >= MAX_SELECTION
                ? ` (at most ${MAX_SELECTION}; act on the group for more)`
                : ''}{' '}
              <button
                type="button"
                className="ml-1 text-accent underline-offset-2 hover:underline"
                onClick={() => setSelected(new Set())}
              >
                Clear selection
              </button>
            </p>
            <BulkActions
              queue={s.queue}
              selection={{ ids: [...selected] }}
              scope="selection"
              onDone={() => setSelected(new Set())}
            />
          </div>
        )}
      </div>
      <DataTable
        label="Messages of the group"
        columns={columns}
        data={query.data?.items}
        getRowId={(r) => r.id}
        {...tableState(query)}
        empty={<EmptyState title="No message left in this group" />}
        {...pages}
      />
    </section>
  );
}
