'use client';
import type { TransactionSummary } from '@koukan/services';
import { columnHelper, DataTable, EmptyState, formatTimestamp, StatusBadge } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useQueryStates } from 'nuqs';
import { mailFromCell } from '../../../components/cells.tsx';
import { keepingPage, useCursorPages } from '../../../components/use-cursor-pages.ts';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { toListInput, transactionSearchParams } from './search-params.ts';

const h = columnHelper<TransactionSummary>();
const columns = h.columns([
  h.accessor('created_at', {
    header: 'Created (UTC)',
    cell: (c) => (
      <Link
        href={`/transactions/${c.row.original.id}`}
        className="font-mono text-xs whitespace-nowrap text-accent underline-offset-2 hover:underline"
        aria-label={`Open transaction to ${c.row.original.recipients.join(', ')} created ${formatTimestamp(c.getValue())}`}
      >
        {formatTimestamp(c.getValue())}
      </Link>
    ),
  }),
  h.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} /> }),
  h.accessor('recipients', {
    header: 'Recipient',
    cell: (c) => <span className="break-all">{c.getValue().join(', ')}</span>,
  }),
  h.accessor('mail_from', { header: 'Envelope sender', cell: mailFromCell }),
  h.accessor('subject', {
    header: 'Subject',
    cell: (c) => <span className="line-clamp-2">{c.getValue() ?? ''}</span>,
  }),
  h.accessor('sender', { header: 'Sender' }),
  h.accessor('latest_reply', {
    header: 'Last reply',
    cell: (c) => {
      const r = c.getValue();
      // as the server sent it: code, enhanced code (stored apart since 0019), text
      const line = [r?.code, r?.enhanced, r?.text].filter(Boolean).join(' ');
      return r ? (
        <code className="line-clamp-2 font-mono text-xs" title={line}>
          {line}
        </code>
      ) : (
        <span className="text-muted">—</span>
      );
    },
  }),
  h.accessor('attempt_count', { header: 'Attempts' }),
]);

export function TransactionsTable() {
  const trpc = useTRPC();
  const [search, set] = useQueryStates(transactionSearchParams, { shallow: true, history: 'push' });
  const query = useQuery(keepingPage(trpc.transactions.list.queryOptions(toListInput(search))));
  const pages = useCursorPages(
    search.cursor,
    query.data?.nextCursor,
    (cursor) => void set({ cursor: cursor || null }),
  );
  const filtered = Object.entries(search).some(
    ([k, v]) => k !== 'cursor' && (Array.isArray(v) ? v.length > 0 : Boolean(v)),
  );
  return (
    <DataTable
      label="Transactions"
      columns={columns}
      data={query.data?.items}
      getRowId={(r) => r.id}
      {...tableState(query)}
      empty={
        <EmptyState
          title={filtered ? 'No transaction matches these filters' : 'No transactions yet'}
        >
          {filtered
            ? 'Widen the filters, or clear them.'
            : 'Send a message through the REST API or SMTP and it appears here.'}
        </EmptyState>
      }
      footer={search.cursor ? 'Older page' : 'Newest first'}
      {...pages}
    />
  );
}
