'use client';
import { createContext, type ReactNode, useContext, useId } from 'react';
import { cn } from '../cn.ts';
import { controlClass } from '../form.tsx';

/** Errors by field path (`policies[0].domains`), as the services and the chain validator name them. */
export type FieldErrors = Record<string, string[]>;

interface FormSettings {
  errors: FieldErrors;
  secretNames: string[];
  disabled: boolean;
}

export const FormContext = createContext<FormSettings>({
  errors: {},
  secretNames: [],
  disabled: false,
});

export const useFormSettings = () => useContext(FormContext);

/** The errors of one field, each with its path, tied to the control by id. */
function FieldMessages({ id, path }: { id: string; path: string }) {
  const { errors } = useFormSettings();
  const list = errors[path];
  if (!list?.length) return null;
  return (
    <ul id={id} className="text-xs text-danger">
      {list.map((m) => (
        <li key={m}>
          <code className="mr-1 font-mono">{path || '(filter)'}</code>
          {m}
        </li>
      ))}
    </ul>
  );
}

/** What a control takes from its frame: its id, its description, its error state. */
export interface ControlProps {
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
  disabled: boolean;
  className: string;
}

/** A label, a control rendered by `children(props)` (spread onto the control), and its errors. */
export function LabelledControl({
  label,
  path,
  hint,
  inline,
  children,
}: {
  label: string;
  path: string;
  hint?: string;
  inline?: boolean;
  children: (props: ControlProps) => ReactNode;
}) {
  const id = useId();
  const { errors, disabled } = useFormSettings();
  const invalid = Boolean(errors[path]?.length);
  const control = children({
    id,
    'aria-describedby': invalid ? `${id}-error` : hint ? `${id}-hint` : undefined,
    'aria-invalid': invalid || undefined,
    disabled,
    className: cn(controlClass, invalid && 'border-danger'),
  });
  return (
    <div className={cn('flex min-w-0 gap-1', inline ? 'flex-row items-center' : 'flex-col')}>
      {inline && control}
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      {!inline && control}
      {invalid ? (
        <FieldMessages id={`${id}-error`} path={path} />
      ) : hint ? (
        <p id={`${id}-hint`} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A fieldset with a legend, actions beside the legend, and errors at its own path. */
export function Group({
  legend,
  path,
  actions,
  errorsExtra,
  children,
}: {
  legend: string;
  path: string;
  actions?: ReactNode;
  errorsExtra?: { path: string; message: string }[];
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <fieldset className="min-w-0 rounded-md border border-border p-3">
      <legend className="px-1 text-xs font-semibold text-fg">{legend}</legend>
      {actions && <div className="mb-2 flex flex-wrap gap-2">{actions}</div>}
      <FieldMessages id={`${id}-error`} path={path} />
      {errorsExtra && errorsExtra.length > 0 && (
        <ul className="text-xs text-danger">
          {errorsExtra.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code className="mr-1 font-mono">{e.path}</code>
              {e.message}
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-col gap-3">{children}</div>
    </fieldset>
  );
}
