'use client';
import type { schema } from '@koukan/db';
import { Button, columnHelper, DataTable, EmptyState, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useQueryStates } from 'nuqs';
import type { FormEvent } from 'react';
import { mailFromCell, timeCell } from '../../../components/cells.tsx';
import { keepingPage, useCursorPages } from '../../../components/use-cursor-pages.ts';
import { tableState } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';
import { SandboxDeleteButton } from './delete-button.tsx';
import { sandboxSearchParams, toSandboxInput } from './search-params.ts';

const h = columnHelper<schema.SandboxMessage>();
const columns = h.columns([
  h.accessor('createdAt', { header: 'Kept (UTC)', cell: timeCell }),
  h.accessor('subject', {
    header: 'Subject',
    cell: (c) => (
      <Link
        href={`/sandbox/${c.row.original.id}`}
        className="text-accent underline-offset-2 hover:underline"
      >
        {c.getValue() || '(no subject)'}
      </Link>
    ),
  }),
  h.accessor('rcptTo', {
    header: 'Recipients',
    cell: (c) => <span className="break-all">{c.getValue().join(', ')}</span>,
  }),
  h.accessor('mailFrom', { header: 'Envelope sender', cell: mailFromCell }),
  h.accessor('mailbox', { header: 'Mailbox' }),
  h.accessor('sender', { header: 'Sender' }),
]);

/** The inbox, newest first: search, pages, and deleting a mailbox or everything. */
export function SandboxMessages() {
  const trpc = useTRPC();
  const [s, set] = useQueryStates(sandboxSearchParams, { shallow: true, history: 'push' });
  const boxes = useQuery(trpc.sandbox.mailboxes.queryOptions());
  const query = useQuery(keepingPage(trpc.sandbox.list.queryOptions(toSandboxInput(s))));
  const pages = useCursorPages(s.cursor, query.data?.next, (cursor) => void set({ cursor }));
  const inScope = s.mailbox
    ? (boxes.data?.find((b) => b.mailbox === s.mailbox)?.count ?? 0)
    : (boxes.data ?? []).reduce((a, b) => a + b.count, 0);

  function onSearch(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget).get('q') ?? '').trim();
    void set({ q: q || null, cursor: null });
  }
  return (
    <section aria-labelledby="sandbox-messages" className="min-w-0">
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <h2 id="sandbox-messages" className="text-base font-semibold">
          {s.mailbox ? `Mailbox ${s.mailbox}` : 'All mailboxes'}
        </h2>
        {inScope > 0 && (
          <SandboxDeleteButton
            target={s.mailbox ? { mailbox: s.mailbox } : { all: true }}
            label={s.mailbox ? 'Delete all in this mailbox' : 'Delete all messages'}
            question={s.mailbox ? `Delete mailbox ${s.mailbox}?` : 'Empty the sandbox?'}
            description={`This deletes ${inScope.toLocaleString('en-US')} kept message${inScope === 1 ? '' : 's'}${s.mailbox ? ` in ${s.mailbox}` : ' in every mailbox'}, and their bodies. It cannot be undone.`}
            onDeleted={() => void set({ mailbox: null, cursor: null })}
          />
        )}
      </div>
      <search aria-label="Search the sandbox">
        <form
          key={s.q}
          aria-label="Search the sandbox"
          onSubmit={onSearch}
          className="mb-3 flex items-end gap-2"
        >
          <TextField
            label="Search subject, addresses or Message-ID"
            name="q"
            type="search"
            defaultValue={s.q}
            className="w-80"
          />
          <Button type="submit" variant="primary">
            Search
          </Button>
        </form>
      </search>
      <DataTable
        label="Sandbox messages"
        columns={columns}
        data={query.data?.items}
        getRowId={(m) => m.id}
        {...tableState(query)}
        empty={
          <EmptyState title={s.q ? 'No kept message matches' : 'The sandbox is empty'}>
            {s.q
              ? 'Try another search.'
              : 'Mail sent through a sender whose chain ends in a sandbox filter appears here.'}
          </EmptyState>
        }
        footer="Newest first"
        {...pages}
      />
    </section>
  );
}
