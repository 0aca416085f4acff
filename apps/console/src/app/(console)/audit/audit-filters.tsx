'use client';
import { SelectField, TextField } from '@koukan/ui';
import { useQueryStates } from 'nuqs';
import { DateField, FilterForm } from '../../../components/filter-form.tsx';
import { auditSearchParams } from './search-params.ts';

/** The kinds of entity the services record (entity_type). */
const entityTypes = [
  { value: 'chain', label: 'Chains' },
  { value: 'sender', label: 'Senders' },
  { value: 'api_key', label: 'API keys' },
  { value: 'transaction', label: 'Transactions (operator actions)' },
  { value: 'sandbox_message', label: 'Sandbox' },
  { value: 'domain', label: 'Domains' },
  { value: 'secret', label: 'Secrets' },
  { value: 'console_user', label: 'Console users' },
];

/** Who, which entity, which action, when: written to the URL (first page). */
export function AuditFilters() {
  const [s, set] = useQueryStates(auditSearchParams, { shallow: true, history: 'push' });
  return (
    <FilterForm
      label="Filter the audit log"
      resetKey={JSON.stringify({ ...s, cursor: null })}
      onApply={(f) =>
        void set({
          user: f.str('user') || null,
          entity: f.str('entity') || null,
          action: f.str('action') || null,
          from: f.date('from'),
          to: f.date('to'),
          cursor: null,
        })
      }
      onClear={() => void set(null)}
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
        <DateField label="From (UTC)" name="from" value={s.from} />
        <DateField label="Until (UTC)" name="to" value={s.to} />
      </div>
    </FilterForm>
  );
}
