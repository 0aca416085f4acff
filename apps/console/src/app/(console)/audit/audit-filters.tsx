'use client';
import { Button, SelectField, TextField } from '@koukan/ui';
import { useQueryStates } from 'nuqs';
import type { FormEvent } from 'react';
import { auditSearchParams } from './search-params.ts';

/** The kinds of entity the services record (entity_type). */
export const entityTypes = [
  { value: 'chain', label: 'Chains' },
  { value: 'sender', label: 'Senders' },
  { value: 'api_key', label: 'API keys' },
  { value: 'transaction', label: 'Transactions (operator actions)' },
  { value: 'sandbox_message', label: 'Sandbox' },
  { value: 'domain', label: 'Domains' },
  { value: 'secret', label: 'Secrets' },
  { value: 'console_user', label: 'Console users' },
];

const toLocalInput = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

/** Who, which entity, which action, when: written to the URL (first page). */
export function AuditFilters() {
  const [s, set] = useQueryStates(auditSearchParams, { shallow: true, history: 'push' });
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    const date = (k: string) => (str(k) ? new Date(`${str(k)}Z`) : null);
    void set({
      user: str('user') || null,
      entity: str('entity') || null,
      action: str('action') || null,
      from: date('from'),
      to: date('to'),
      cursor: null,
    });
  }
  return (
    <form
      key={JSON.stringify({ ...s, cursor: null })}
      onSubmit={onSubmit}
      aria-label="Filter the audit log"
      className="mb-4 rounded-lg border border-border bg-surface p-3"
    >
      <div className="grid grid-cols-2 gap-3 md:grid-cols-5">
        <TextField
          label="User"
          name="user"
          defaultValue={s.user}
          placeholder="ops@example.com"
          hint="An email, or an actor such as key:kk_…"
        />
        <SelectField
          label="Entity"
          name="entity"
          defaultValue={s.entity}
          options={[
            { value: '', label: 'Any entity' },
            ...entityTypes,
            ...(s.entity && !entityTypes.some((t) => t.value === s.entity)
              ? [{ value: s.entity, label: s.entity }]
              : []),
          ]}
        />
        <TextField
          label="Action starts with"
          name="action"
          defaultValue={s.action}
          placeholder="chain.save"
        />
        <TextField
          label="From (UTC)"
          name="from"
          type="datetime-local"
          defaultValue={toLocalInput(s.from)}
        />
        <TextField
          label="Until (UTC)"
          name="to"
          type="datetime-local"
          defaultValue={toLocalInput(s.to)}
        />
      </div>
      <div className="mt-3 flex gap-2">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button
          variant="ghost"
          onClick={() =>
            void set({ user: null, entity: null, action: null, from: null, to: null, cursor: null })
          }
        >
          Clear
        </Button>
      </div>
    </form>
  );
}
