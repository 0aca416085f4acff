import { type ComponentPropsWithRef, type ReactNode, useId } from 'react';
import { cn } from './cn.ts';

/** The look of a one-line input or select (the schema form's controls share it). */
export const controlClass =
  'h-9 w-full rounded-md border border-border bg-surface px-2.5 text-sm text-fg placeholder:text-muted focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-ring disabled:opacity-50';

interface Labelling {
  label: string;
  error?: string;
  hint?: string;
  className?: string;
  id?: string;
}

/** A control's frame: its label above, and under it the error (or else the hint) tied to it. */
function Labelled({
  label,
  error,
  hint,
  className,
  id,
  children,
}: Labelling & {
  children: (aria: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}) {
  const auto = useId();
  const inputId = id ?? auto;
  const note = error ? 'error' : hint ? 'hint' : undefined;
  return (
    <div className={cn('flex min-w-0 flex-col gap-1', className)}>
      <label htmlFor={inputId} className="text-xs font-medium text-muted">
        {label}
      </label>
      {children({
        id: inputId,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': note && `${inputId}-${note}`,
      })}
      {note ? (
        <p
          id={`${inputId}-${note}`}
          className={cn('text-xs', error ? 'text-danger' : 'text-muted')}
        >
          {error || hint}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled text input; `error` is shown under it and tied to it for screen readers. */
export function TextField({
  label,
  error,
  hint,
  className,
  id,
  ...props
}: ComponentPropsWithRef<'input'> & Labelling) {
  return (
    <Labelled {...{ label, error, hint, className, id }}>
      {(aria) => (
        <input {...aria} className={cn(controlClass, error && 'border-danger')} {...props} />
      )}
    </Labelled>
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
}: ComponentPropsWithRef<'select'> & Omit<Labelling, 'hint'> & { options: Option[] }) {
  return (
    <Labelled {...{ label, error, className, id }}>
      {(aria) => (
        <select {...aria} className={cn(controlClass, error && 'border-danger')} {...props}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Labelled>
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
}: ComponentPropsWithRef<'textarea'> & Labelling) {
  return (
    <Labelled {...{ label, error, hint, className, id }}>
      {(aria) => (
        <textarea
          {...aria}
          className={cn(controlClass, 'h-auto min-h-24 py-2 font-mono', error && 'border-danger')}
          {...props}
        />
      )}
    </Labelled>
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
