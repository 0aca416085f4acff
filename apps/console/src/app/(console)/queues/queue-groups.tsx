'use client';
import type { QueueGroup } from '@koukan/db';
import {
  Button,
  columnHelper,
  DataTable,
  EmptyState,
  formatDuration,
  formatTimestamp,
} from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useQueryStates } from 'nuqs';
import { timeCell } from '../../../components/cells.tsx';
import { keepingPage } from '../../../components/use-cursor-pages.ts';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { groupsInput, queueSearchParams } from './search-params.ts';

const h = columnHelper<QueueGroup>();

/** "full.example · 452 4.2.2 mailbox full (# bytes)": a group in words. */
export function groupName(
  g: Pick<QueueGroup, 'domain' | 'replyCode' | 'replyPattern'>,
  by: string,
) {
  const reply = g.replyCode ? `${g.replyCode} ${g.replyPattern ?? ''}`.trim() : 'no reply yet';
  if (by === 'domain') return g.domain || '(no domain)';
  if (by === 'reply') return reply;
  return `${g.domain || '(no domain)'} · ${reply}`;
}

/** Ages relative to the time of rendering (server and client differ by the hydration delay). */
function Age({ at }: { at: Date }) {
  return (
    <span suppressHydrationWarning title={formatTimestamp(at)}>
      {formatDuration(Date.now() - at.getTime())}
    </span>
  );
}

/** The queue's groups, largest first; opening one shows its messages below. */
export function QueueGroups() {
  const trpc = useTRPC();
  const [s, set] = useQueryStates(queueSearchParams, { shallow: true, history: 'push' });
  const query = useQuery(keepingPage(trpc.queues.groups.queryOptions(groupsInput(s))));
  const columns = h.columns([
    ...(s.by !== 'reply'
      ? [h.accessor('domain', { header: 'Destination domain', cell: (c) => c.getValue() || '—' })]
      : []),
    ...(s.by !== 'domain'
      ? [
          h.accessor('replyPattern', {
            header: 'Last reply',
            cell: (c) => {
              const g = c.row.original;
              return g.replyCode ? (
                <code className="font-mono text-xs" title={g.sampleReply ?? undefined}>
                  {g.replyCode} {g.replyPattern}
                </code>
              ) : (
                <span className="text-muted">no reply yet</span>
              );
            },
          }),
        ]
      : []),
    h.accessor('count', {
      header: 'Messages',
      cell: (c) => <span className="tabular-nums">{c.getValue().toLocaleString('en-US')}</span>,
    }),
    h.accessor('oldestCreatedAt', { header: 'Oldest', cell: (c) => <Age at={c.getValue()} /> }),
    s.queue === 'waiting'
      ? h.accessor('nextAttemptAt', { header: 'Next attempt (UTC)', cell: timeCell })
      : h.accessor('lastChangeAt', {
          header: s.queue === 'held' ? 'Last held (UTC)' : 'Last failed (UTC)',
          cell: timeCell,
        }),
    h.display({
      id: 'open',
      header: () => <span className="sr-only">Open</span>,
      cell: (c) => {
        const g = c.row.original;
        const open =
          s.g === 1 &&
          (s.by === 'reply' || (s.gdomain ?? '') === (g.domain ?? '')) &&
          (s.by === 'domain' ||
            ((s.gcode ?? 0) === (g.replyCode ?? 0) &&
              (s.gpattern ?? '') === (g.replyPattern ?? '')));
        return (
          <Button
            size="sm"
            variant={open ? 'primary' : 'secondary'}
            aria-pressed={open}
            aria-label={`Show messages of ${groupName(g, s.by)}`}
            onClick={() =>
              void set({
                g: 1,
                gdomain: g.domain ?? '',
                gcode: g.replyCode ?? 0,
                gpattern: g.replyPattern ?? '',
                cursor: null,
              })
            }
          >
            Show messages
          </Button>
        );
      },
    }),
  ]);
  const total = (query.data ?? []).reduce((a, g) => a + g.count, 0);
  return (
    <section aria-labelledby="queue-groups" className="mb-6">
      <h2 id="queue-groups" className="mb-2 text-base font-semibold">
        Groups
      </h2>
      <DataTable
        label="Queue groups"
        columns={columns}
        data={query.data}
        getRowId={(g) => `${g.domain}|${g.replyCode}|${g.replyPattern}`}
        {...tableState(query)}
        empty={
          <EmptyState
            title={
              s.queue === 'waiting'
                ? 'Nothing is waiting for a retry'
                : s.queue === 'held'
                  ? 'No message is held'
                  : `No message failed in the last ${s.days} days`
            }
          >
            {s.sender || s.domain ? 'Widen the filter, or clear it.' : null}
          </EmptyState>
        }
        footer={
          query.data && query.data.length > 0
            ? `${query.data.length} groups, ${total.toLocaleString('en-US')} messages`
            : undefined
        }
      />
    </section>
  );
}
