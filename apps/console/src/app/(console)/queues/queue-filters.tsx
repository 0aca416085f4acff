'use client';
import { SelectField, TextField } from '@koukan/ui';
import { useQueryStates } from 'nuqs';
import { FilterForm, SenderSelect } from '../../../components/filter-form.tsx';
import { BulkActions } from './bulk-actions.tsx';
import { groupings, noGroup, pageFilter, queueSearchParams } from './search-params.ts';

const groupingLabels: Record<(typeof groupings)[number], string> = {
  domain_reply: 'Domain and last reply',
  domain: 'Domain',
  reply: 'Last reply',
};

/** Narrow the queue (sender, domain), choose the grouping, and act on everything it shows. */
export function QueueFilters() {
  const [s, set] = useQueryStates(queueSearchParams, { shallow: true, history: 'push' });
  const filtered = Boolean(s.sender || s.domain);
  return (
    <section aria-label="Filter" className="mb-4 rounded-lg border border-border bg-surface p-3">
      <FilterForm
        label="Filter the queue"
        resetKey={JSON.stringify([s.queue, s.sender, s.domain, s.by, s.days])}
        className="flex flex-wrap items-end gap-3"
        actionsClassName="flex gap-2"
        onApply={(f) =>
          void set({
            sender: f.str('sender') || null,
            domain: f.str('domain') || null,
            by: (f.str('by') || 'domain_reply') as (typeof groupings)[number],
            days: s.queue === 'failed' ? Number(f.str('days')) || 7 : s.days,
            ...noGroup,
          })
        }
        {...(filtered && {
          onClear: () => void set({ sender: null, domain: null, ...noGroup }),
        })}
      >
        <SenderSelect value={s.sender} className="w-48" />
        <TextField
          label="Destination domain"
          name="domain"
          defaultValue={s.domain}
          placeholder="example.org"
          className="w-56"
        />
        <SelectField
          label="Group by"
          name="by"
          defaultValue={s.by}
          className="w-52"
          options={groupings.map((g) => ({ value: g, label: groupingLabels[g] }))}
        />
        {s.queue === 'failed' && (
          <TextField
            label="Failed in the last days"
            name="days"
            type="number"
            min={1}
            max={365}
            defaultValue={String(s.days)}
            className="w-40"
          />
        )}
      </FilterForm>
      {filtered && (
        <div className="mt-3 border-t border-border pt-3">
          <p className="mb-2 text-xs text-muted">
            Every message of this queue matching the filter:
          </p>
          <BulkActions queue={s.queue} selection={{ filter: pageFilter(s) }} scope="filter" />
        </div>
      )}
    </section>
  );
}
