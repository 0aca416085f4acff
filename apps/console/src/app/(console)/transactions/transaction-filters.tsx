'use client';
import { transactionStatuses } from '@koukan/db/state';
import { Button, SelectField, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useQueryStates } from 'nuqs';
import { type FormEvent, useId } from 'react';
import { useTRPC } from '../../../trpc/react.tsx';
import { transactionSearchParams } from './search-params.ts';

function toLocalInput(d: Date | null): string {
  return d ? d.toISOString().slice(0, 16) : '';
}

/** Every filter of the list; applying one writes the URL (and starts from the first page). */
export function TransactionFilters() {
  const trpc = useTRPC();
  const senders = useQuery(trpc.transactions.senders.queryOptions({}));
  const [s, set] = useQueryStates(transactionSearchParams, { shallow: true, history: 'push' });
  const statusGroup = useId();

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    const date = (k: string) => (str(k) ? new Date(`${str(k)}Z`) : null);
    void set({
      status: f.getAll('status').map(String) as typeof s.status,
      sender: str('sender'),
      from: str('from'),
      rcpt: str('rcpt'),
      domain: str('domain'),
      msgid: str('msgid'),
      reason: str('reason'),
      after: date('after'),
      before: date('before'),
      cursor: '',
    });
  }

  const key = JSON.stringify({ ...s, cursor: '' });
  return (
    <form
      key={key}
      onSubmit={onSubmit}
      aria-label="Filter transactions"
      className="mb-4 rounded-lg border border-border bg-surface p-3"
    >
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <TextField
          label="Recipient starts with"
          name="rcpt"
          defaultValue={s.rcpt}
          placeholder="bob@"
        />
        <TextField
          label="Recipient domain"
          name="domain"
          defaultValue={s.domain}
          placeholder="example.org"
        />
        <TextField label="Envelope sender starts with" name="from" defaultValue={s.from} />
        <TextField label="Message-ID" name="msgid" defaultValue={s.msgid} placeholder="<id@host>" />
        <SelectField
          label="Sender"
          name="sender"
          defaultValue={s.sender}
          options={[
            { value: '', label: 'Any sender' },
            ...(senders.data ?? []).map((o) => ({ value: o.name, label: o.name })),
            ...(s.sender && !senders.data?.some((o) => o.name === s.sender)
              ? [{ value: s.sender, label: s.sender }]
              : []),
          ]}
        />
        <TextField
          label="Final reason"
          name="reason"
          defaultValue={s.reason}
          placeholder="e.g. permanent_failure"
        />
        <TextField
          label="Created from (UTC)"
          name="after"
          type="datetime-local"
          defaultValue={toLocalInput(s.after)}
        />
        <TextField
          label="Created before (UTC)"
          name="before"
          type="datetime-local"
          defaultValue={toLocalInput(s.before)}
        />
      </div>
      <fieldset className="mt-3" aria-labelledby={statusGroup}>
        <legend id={statusGroup} className="text-xs font-medium text-muted">
          Status
        </legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          {transactionStatuses.map((st) => (
            <label key={st} className="flex items-center gap-1.5 text-sm">
              <input
                type="checkbox"
                name="status"
                value={st}
                defaultChecked={s.status.includes(st)}
              />
              {st}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="mt-3 flex gap-2">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button
          variant="ghost"
          onClick={() =>
            void set({
              status: null,
              sender: null,
              from: null,
              rcpt: null,
              domain: null,
              msgid: null,
              reason: null,
              after: null,
              before: null,
              cursor: null,
            })
          }
        >
          Clear
        </Button>
      </div>
    </form>
  );
}
