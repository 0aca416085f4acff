'use client';
import { transactionStatuses } from '@koukan/db/state';
import { TextField } from '@koukan/ui';
import { useQueryStates } from 'nuqs';
import { useId } from 'react';
import { DateField, FilterForm, SenderSelect } from '../../../components/filter-form.tsx';
import { transactionSearchParams } from './search-params.ts';

/** Every filter of the list; applying one writes the URL (and starts from the first page). */
export function TransactionFilters() {
  const [s, set] = useQueryStates(transactionSearchParams, { shallow: true, history: 'push' });
  const statusGroup = useId();
  return (
    <FilterForm
      label="Filter transactions"
      resetKey={JSON.stringify({ ...s, cursor: '' })}
      onApply={(f) =>
        void set({
          status: f.all('status') as typeof s.status,
          sender: f.str('sender'),
          from: f.str('from'),
          rcpt: f.str('rcpt'),
          domain: f.str('domain'),
          msgid: f.str('msgid'),
          reason: f.str('reason'),
          after: f.date('after'),
          before: f.date('before'),
          cursor: '',
        })
      }
      onClear={() => void set(null)}
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
        <SenderSelect value={s.sender} />
        <TextField
          label="Final reason"
          name="reason"
          defaultValue={s.reason}
          placeholder="e.g. permanent_failure"
        />
        <DateField label="Created from (UTC)" name="after" value={s.after} />
        <DateField label="Created before (UTC)" name="before" value={s.before} />
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
    </FilterForm>
  );
}
