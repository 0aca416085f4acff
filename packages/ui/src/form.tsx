import { type ComponentPropsWithRef, useId } from 'react';
import { cn } from './cn.ts';

const control =
  'h-9 w-full rounded-md border border-border bg-surface px-2.5 text-sm text-fg placeholder:text-muted focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-ring disabled:opacity-50';

/** A labelled text input; `error` is shown under it and tied to it for screen readers. */
export function TextField({
  label,
  error,
  hint,
  className,
  id,
  ...props
}: ComponentPropsWithRef<'input'> & { label: string; error?: string; hint?: string }) {
  const auto = useId();
  const inputId = id ?? auto;
  const describedBy = error ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined;
  return (
    <div className={cn('flex min-w-0 flex-col gap-1', className)}>
      <label htmlFor={inputId} className="text-xs font-medium text-muted">
        {label}
      </label>
      <input
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={cn(control, error && 'border-danger')}
        {...props}
      />
      {error ? (
        <p id={`${inputId}-error`} className="text-xs text-danger">
          {error}
        </p>
      ) : hint ? (
        <p id={`${inputId}-hint`} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

/** A labelled native select (keyboard and screen-reader behaviour for free). */
export function SelectField({
  label,
  options,
  className,
  id,
  error,
  ...props
}: ComponentPropsWithRef<'select'> & { label: string; options: Option[]; error?: string }) {
  const auto = useId();
  const selectId = id ?? auto;
  return (
    <div className={cn('flex min-w-0 flex-col gap-1', className)}>
      <label htmlFor={selectId} className="text-xs font-medium text-muted">
        {label}
      </label>
      <select
        id={selectId}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${selectId}-error` : undefined}
        className={cn(control, error && 'border-danger')}
        {...props}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <p id={`${selectId}-error`} className="text-xs text-danger">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled multi-line text input; `error` is shown under it and tied to it. */
export function TextAreaField({
  label,
  error,
  hint,
  className,
  id,
  ...props
}: ComponentPropsWithRef<'textarea'> & { label: string; error?: string; hint?: string }) {
  const auto = useId();
  const inputId = id ?? auto;
  const describedBy = error ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined;
  return (
    <div className={cn('flex min-w-0 flex-col gap-1', className)}>
      <label htmlFor={inputId} className="text-xs font-medium text-muted">
        {label}
      </label>
      <textarea
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={cn(
          'min-h-24 w-full rounded-md border border-border bg-surface px-2.5 py-2 font-mono text-sm text-fg placeholder:text-muted focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-ring disabled:opacity-50',
          error && 'border-danger',
        )}
        {...props}
      />
      {error ? (
        <p id={`${inputId}-error`} className="text-xs text-danger">
          {error}
        </p>
      ) : hint ? (
        <p id={`${inputId}-hint`} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A checkbox with its label beside it (the whole label toggles it). */
export function CheckboxField({
  label,
  hint,
  className,
  id,
  ...props
}: Omit<ComponentPropsWithRef<'input'>, 'type'> & { label: string; hint?: string }) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <div className={cn('flex items-start gap-2', className)}>
      <input
        id={inputId}
        type="checkbox"
        aria-describedby={hint ? `${inputId}-hint` : undefined}
        className="mt-0.5 h-4 w-4 accent-accent focus-visible:outline-2 focus-visible:outline-ring"
        {...props}
      />
      <div className="flex flex-col">
        <label htmlFor={inputId} className="text-sm text-fg">
          {label}
        </label>
        {hint ? (
          <p id={`${inputId}-hint`} className="text-xs text-muted">
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}
