'use client';
import { Button, SelectField, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { useQueryStates } from 'nuqs';
import type { FormEvent } from 'react';
import { useTRPC } from '../../../trpc/react.tsx';
import { BulkActions } from './bulk-actions.tsx';
import { groupings, pageFilter, queueSearchParams } from './search-params.ts';

const groupingLabels: Record<(typeof groupings)[number], string> = {
  domain_reply: 'Domain and last reply',
  domain: 'Domain',
  reply: 'Last reply',
};

/** Narrow the queue (sender, domain), choose the grouping, and act on everything it shows. */
export function QueueFilters() {
  const trpc = useTRPC();
  const senders = useQuery(trpc.transactions.senders.queryOptions({}));
  const [s, set] = useQueryStates(queueSearchParams, { shallow: true, history: 'push' });

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    void set({
      sender: str('sender') || null,
      domain: str('domain') || null,
      by: (str('by') || 'domain_reply') as (typeof groupings)[number],
      days: s.queue === 'failed' ? Number(str('days')) || 7 : s.days,
      g: null,
      gdomain: null,
      gcode: null,
      gpattern: null,
      cursor: null,
    });
  }
  const filtered = Boolean(s.sender || s.domain);
  return (
    <section aria-label="Filter" className="mb-4 rounded-lg border border-border bg-surface p-3">
      <form
        key={JSON.stringify([s.queue, s.sender, s.domain, s.by, s.days])}
        onSubmit={onSubmit}
        aria-label="Filter the queue"
        className="flex flex-wrap items-end gap-3"
      >
        <SelectField
          label="Sender"
          name="sender"
          defaultValue={s.sender}
          className="w-48"
          options={[
            { value: '', label: 'Any sender' },
            ...(senders.data ?? []).map((o) => ({ value: o.name, label: o.name })),
            ...(s.sender && !senders.data?.some((o) => o.name === s.sender)
              ? [{ value: s.sender, label: s.sender }]
              : []),
          ]}
        />
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
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        {filtered && (
          <Button
            variant="ghost"
            onClick={() =>
              void set({
                sender: null,
                domain: null,
                g: null,
                gdomain: null,
                gcode: null,
                gpattern: null,
                cursor: null,
              })
            }
          >
            Clear
          </Button>
        )}
      </form>
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
