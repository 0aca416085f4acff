'use client';
import { useState } from 'react';
import { cn } from '../cn.ts';
import { LabelledControl, useFormSettings } from './controls.tsx';
import { enumValues, type FieldInfo, numberInfo, pathString } from './introspect.ts';
import type { FieldProps } from './types.ts';

export const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const defaultHint = (info: FieldInfo) =>
  info.hasDefault ? `default: ${show(info.defaultValue)}` : info.optional ? 'optional' : undefined;

export type Props = FieldProps & { info: FieldInfo };

export function TextInput({ value, onChange, path, label, info }: Props) {
  const hint = defaultHint(info);
  return (
    <LabelledControl label={label} path={pathString(path)} {...(hint && { hint })}>
      {(c) => (
        <input
          {...c}
          type="text"
          value={typeof value === 'string' ? value : ''}
          placeholder={info.hasDefault ? show(info.defaultValue) : undefined}
          onChange={(e) =>
            onChange(e.target.value === '' && info.optional ? undefined : e.target.value)
          }
        />
      )}
    </LabelledControl>
  );
}

export function SecretField({ value, onChange, path, label, info }: Props) {
  const { secretNames } = useFormSettings();
  const current = typeof value === 'string' ? value : '';
  const names = current && !secretNames.includes(current) ? [current, ...secretNames] : secretNames;
  return (
    <LabelledControl
      label={label}
      path={pathString(path)}
      hint={
        secretNames.length
          ? 'a stored secret, by name'
          : 'no stored secrets yet: add one with `koukan secret set`'
      }
    >
      {(c) => (
        <select
          {...c}
          value={current}
          onChange={(e) =>
            onChange(e.target.value === '' ? (info.optional ? undefined : '') : e.target.value)
          }
        >
          <option value="">{info.optional ? '(none)' : '(choose a secret)'}</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {secretNames.includes(n) ? n : `${n} (not stored)`}
            </option>
          ))}
        </select>
      )}
    </LabelledControl>
  );
}

export function NumberInput({ value, onChange, path, label, info }: Props) {
  const n = numberInfo(info.schema);
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? (typeof value === 'number' ? String(value) : '');
  const hint = defaultHint(info);
  return (
    <LabelledControl label={label} path={pathString(path)} {...(hint && { hint })}>
      {(c) => (
        <input
          {...c}
          type="number"
          inputMode={n.int ? 'numeric' : 'decimal'}
          step={n.int ? 1 : 'any'}
          min={n.min}
          max={n.max}
          value={shown}
          placeholder={info.hasDefault ? show(info.defaultValue) : undefined}
          onChange={(e) => {
            const t = e.target.value;
            setText(t);
            onChange(t === '' ? undefined : Number.isNaN(Number(t)) ? t : Number(t));
          }}
          onBlur={() => setText(null)}
        />
      )}
    </LabelledControl>
  );
}

export function Checkbox({ value, onChange, path, label, info }: Props) {
  const checked = typeof value === 'boolean' ? value : info.defaultValue === true;
  return (
    <LabelledControl label={label} path={pathString(path)} inline>
      {(c) => (
        <input
          {...c}
          type="checkbox"
          className="h-4 w-4 accent-accent"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
        />
      )}
    </LabelledControl>
  );
}

export function EnumSelect({ value, onChange, path, label, info }: Props) {
  const values = enumValues(info.schema);
  return (
    <LabelledControl label={label} path={pathString(path)}>
      {(c) => (
        <select
          {...c}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
        >
          {info.optional && (
            <option value="">
              {info.hasDefault ? `(default: ${show(info.defaultValue)})` : '(not set)'}
            </option>
          )}
          {!info.optional && typeof value !== 'string' && <option value="">(choose)</option>}
          {values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      )}
    </LabelledControl>
  );
}

export function JsonField({ value, onChange, path, label }: Props) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 2));
  return (
    <LabelledControl label={`${label} (JSON)`} path={pathString(path)}>
      {(c) => (
        <textarea
          {...c}
          rows={4}
          className={cn(c.className, 'h-auto font-mono')}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            try {
              onChange(JSON.parse(e.target.value));
            } catch {
              onChange(e.target.value);
            }
          }}
        />
      )}
    </LabelledControl>
  );
}

/** The fields of an object; keys in `omit` are handled by the caller (e.g. `filter`). */
