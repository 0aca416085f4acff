'use client';
import { Button, SelectField, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import type { FormEvent, ReactNode } from 'react';
import { useTRPC } from '../trpc/react.tsx';

/** A submitted filter form's values: trimmed text, a UTC date from datetime-local, lists. */
interface FilterValues {
  str(name: string): string;
  date(name: string): Date | null;
  all(name: string): string[];
}

/** A date-and-time filter in UTC (its label says "(UTC)"), read back with `date(name)`. */
export function DateField({
  value,
  ...field
}: {
  label: string;
  name: string;
  value: Date | null;
}) {
  const local = value ? value.toISOString().slice(0, 16) : '';
  return <TextField {...field} type="datetime-local" defaultValue={local} />;
}

/**
 * The frame of every list's filters: a form re-mounted when the URL's filters change
 * (`resetKey`), "Apply filters" and, when `onClear` is given, "Clear".
 */
export function FilterForm({
  label,
  resetKey,
  onApply,
  onClear,
  className = 'mb-4 rounded-lg border border-border bg-surface p-3',
  actionsClassName = 'mt-3 flex gap-2',
  children,
}: {
  label: string;
  resetKey: string;
  onApply: (values: FilterValues) => void;
  onClear?: () => void;
  className?: string;
  actionsClassName?: string;
  children: ReactNode;
}) {
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const str = (k: string) => String(f.get(k) ?? '').trim();
    onApply({
      str,
      date: (k) => (str(k) ? new Date(`${str(k)}Z`) : null),
      all: (k) => f.getAll(k).map(String),
    });
  }
  return (
    <form key={resetKey} onSubmit={onSubmit} aria-label={label} className={className}>
      {children}
      <div className={actionsClassName}>
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        {onClear && (
          <Button variant="ghost" onClick={onClear}>
            Clear
          </Button>
        )}
      </div>
    </form>
  );
}

/** "Any sender" or one of the senders, keeping a value from the URL that no longer exists. */
export function SenderSelect({ value, className }: { value: string | null; className?: string }) {
  const trpc = useTRPC();
  const senders = useQuery(trpc.transactions.senders.queryOptions({}));
  return (
    <SelectField
      label="Sender"
      name="sender"
      defaultValue={value ?? ''}
      {...(className && { className })}
      options={[
        { value: '', label: 'Any sender' },
        ...(senders.data ?? []).map((o) => ({ value: o.name, label: o.name })),
        ...(value && !senders.data?.some((o) => o.name === value) ? [{ value, label: value }] : []),
      ]}
    />
  );
}
