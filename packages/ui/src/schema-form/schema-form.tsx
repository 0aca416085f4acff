'use client';
import type { z } from 'zod';
import { type FieldErrors, FormContext, Group } from './controls.tsx';
import { ObjectFields } from './fields.tsx';
import { objectShape } from './introspect.ts';

export interface SchemaFormProps {
  /** A zod object schema; the form is generated from it (nested objects, arrays, unions…). */
  schema: z.ZodType;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  /** Errors by path (`policies[0].smarthost`), shown at their field. */
  errors?: FieldErrors;
  /** Names offered for fields marked `.meta({ secret_ref: true })`. */
  secretNames?: string[];
  /** Keys the caller renders itself (e.g. a chain entry's `filter`). */
  omit?: string[];
  disabled?: boolean;
  /** The form's legend (its accessible name). */
  label: string;
}

/**
 * A form generated from a zod schema: text, number, checkbox and select controls, groups for
 * nested objects, add/remove for arrays and records, a kind picker for unions, defaults shown
 * as hints. Presentational: it edits `value` through `onChange`; validation is the caller's.
 */
export function SchemaForm({
  schema,
  value,
  onChange,
  errors = {},
  secretNames = [],
  omit = [],
  disabled = false,
  label,
}: SchemaFormProps) {
  const keys = Object.keys(objectShape(schema));
  const stray = Object.entries(errors)
    .filter(([p]) => p === '' || !keys.includes(p.split(/[.[]/)[0]!))
    .flatMap(([p, messages]) => messages.map((m) => ({ path: p || '(filter)', message: m })));
  return (
    <FormContext.Provider value={{ errors, secretNames, disabled }}>
      <Group legend={label} path="#form" errorsExtra={stray}>
        <ObjectFields
          schema={schema}
          value={value}
          path={[]}
          omit={omit}
          onChange={(v) => onChange((v ?? {}) as Record<string, unknown>)}
        />
      </Group>
    </FormContext.Provider>
  );
}

export type { FieldErrors };
