'use client';
import { Button } from '../button.tsx';
import { Group, LabelledControl, useFormSettings } from './controls.tsx';
import {
  arrayElement,
  discriminatorOf,
  emptyValue,
  humanize,
  inspect,
  objectShape,
  optionIndex,
  optionLabels,
  pathString,
  recordValue,
  unionOptions,
} from './introspect.ts';
import {
  Checkbox,
  EnumSelect,
  JsonField,
  NumberInput,
  type Props,
  SecretField,
  show,
  TextInput,
} from './scalars.tsx';
import type { FieldProps, Path } from './types.ts';

/** One value of a schema, as the control (or group of controls) that fits its kind. */
function Field(props: FieldProps) {
  const info = inspect(props.schema);
  switch (info.kind) {
    case 'string':
      return info.secretRef ? (
        <SecretField {...props} info={info} />
      ) : (
        <TextInput {...props} info={info} />
      );
    case 'number':
      return <NumberInput {...props} info={info} />;
    case 'boolean':
      return <Checkbox {...props} info={info} />;
    case 'enum':
      return <EnumSelect {...props} info={info} />;
    case 'literal':
      return null;
    case 'array':
      return <ArrayField {...props} info={info} />;
    case 'object':
      return <ObjectField {...props} info={info} />;
    case 'record':
      return <RecordField {...props} info={info} />;
    case 'union':
      return <UnionField {...props} info={info} />;
    default:
      // Keys that may only be absent (an inline secret, refused) are not offered at all.
      return info.optional ? null : <JsonField {...props} info={info} />;
  }
}

export function ObjectFields({
  schema,
  value,
  onChange,
  path,
  omit = [],
  base,
}: Omit<FieldProps, 'label'> & { omit?: string[]; base?: unknown }) {
  const shape = objectShape(schema);
  const obj = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const start = (value && typeof value === 'object' ? value : (base ?? {})) as Record<
    string,
    unknown
  >;
  return (
    <>
      {Object.entries(shape)
        .filter(([k]) => !omit.includes(k))
        .map(([k, child]) => (
          <Field
            key={k}
            schema={child}
            value={obj[k]}
            path={[...path, k]}
            label={humanize(k)}
            onChange={(v) => {
              const next = { ...start };
              if (v === undefined) delete next[k];
              else next[k] = v;
              onChange(next);
            }}
          />
        ))}
    </>
  );
}

/** Errors under `path` naming keys the object does not have (e.g. an unknown key). */
function strayErrors(errors: Record<string, string[]>, path: Path, keys: string[]) {
  const prefix = pathString(path);
  const out: { path: string; message: string }[] = [];
  for (const [p, messages] of Object.entries(errors)) {
    const rest = prefix ? (p.startsWith(`${prefix}.`) ? p.slice(prefix.length + 1) : null) : p;
    if (rest === null || rest === '') continue;
    const key = rest.split(/[.[]/)[0]!;
    if (key && !keys.includes(key)) for (const m of messages) out.push({ path: p, message: m });
  }
  return out;
}

function ObjectField({ schema: _s, value, onChange, path, label, info }: Props) {
  const { disabled, errors } = useFormSettings();
  const shape = objectShape(info.schema);
  const absent = value === undefined;
  if (absent && info.optional && !info.hasDefault) {
    return (
      <Group legend={label} path={pathString(path)}>
        <Button
          size="sm"
          disabled={disabled}
          onClick={() => onChange(emptyValue(info.schema))}
          aria-label={`Set ${label}`}
        >
          Set {label}
        </Button>
      </Group>
    );
  }
  return (
    <Group
      legend={label}
      path={pathString(path)}
      errorsExtra={strayErrors(errors, path, Object.keys(shape))}
      actions={
        info.optional && !absent ? (
          <Button size="sm" variant="ghost" disabled={disabled} onClick={() => onChange(undefined)}>
            {info.hasDefault ? `Reset ${label} to default` : `Unset ${label}`}
          </Button>
        ) : undefined
      }
    >
      <ObjectFields
        schema={info.schema}
        value={value}
        onChange={onChange}
        path={path}
        base={info.defaultValue}
      />
    </Group>
  );
}

function ArrayField({ value, onChange, path, label, info }: Props) {
  const { disabled } = useFormSettings();
  const element = arrayElement(info.schema);
  const items = Array.isArray(value) ? value : [];
  const set = (next: unknown[]) => onChange(next.length === 0 && info.optional ? undefined : next);
  return (
    <Group
      legend={label}
      path={pathString(path)}
      actions={
        <Button
          size="sm"
          disabled={disabled}
          onClick={() =>
            set([
              ...(Array.isArray(value) ? value : ((info.defaultValue as unknown[]) ?? [])),
              emptyValue(element),
            ])
          }
        >
          Add to {label}
        </Button>
      }
    >
      {items.length === 0 && (
        <p className="text-xs text-muted">
          {info.hasDefault ? `default: ${show(info.defaultValue)}` : 'empty'}
        </p>
      )}
      {items.map((item, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: items have no identity but their place
        <div key={i} className="flex items-start gap-2">
          <div className="min-w-0 flex-1">
            <Field
              schema={element}
              value={item}
              path={[...path, i]}
              label={`${label} ${i + 1}`}
              onChange={(v) => set(items.map((x, j) => (j === i ? v : x)))}
            />
          </div>
          <Button
            size="sm"
            variant="ghost"
            disabled={disabled}
            aria-label={`Remove ${label} ${i + 1}`}
            onClick={() => set(items.filter((_, j) => j !== i))}
          >
            Remove
          </Button>
        </div>
      ))}
    </Group>
  );
}

function RecordField({ value, onChange, path, label, info }: Props) {
  const { disabled } = useFormSettings();
  const valueSchema = recordValue(info.schema);
  const entries = Object.entries(
    (value && typeof value === 'object' ? value : {}) as Record<string, unknown>,
  );
  const set = (next: [string, unknown][]) => {
    const obj = Object.fromEntries(next);
    onChange(next.length === 0 && info.optional ? undefined : obj);
  };
  return (
    <Group
      legend={label}
      path={pathString(path)}
      actions={
        <Button
          size="sm"
          disabled={disabled || entries.some(([k]) => k === '')}
          onClick={() => set([...entries, ['', emptyValue(valueSchema)]])}
        >
          Add to {label}
        </Button>
      }
    >
      {entries.length === 0 && <p className="text-xs text-muted">empty</p>}
      {entries.map(([k, v], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: keys are being edited
        <div key={i} className="flex flex-col gap-2 rounded-md border border-border p-2">
          {/* a key has no errors of its own: they are at its value's path */}
          <LabelledControl label={`${label} ${i + 1} key`} path={`${pathString(path)}#key`}>
            {(c) => (
              <input
                {...c}
                value={k}
                onChange={(e) => set(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))}
              />
            )}
          </LabelledControl>
          <Field
            schema={valueSchema}
            value={v}
            path={[...path, k]}
            label={`${label} ${k || i + 1}`}
            onChange={(nv) => set(entries.map((e, j) => (j === i ? [e[0], nv] : e)))}
          />
          <Button
            size="sm"
            variant="ghost"
            disabled={disabled}
            aria-label={`Remove ${label} ${i + 1}`}
            onClick={() => set(entries.filter((_, j) => j !== i))}
          >
            Remove
          </Button>
        </div>
      ))}
    </Group>
  );
}

function UnionField({ value, onChange, path, label, info }: Props) {
  const options = unionOptions(info.schema);
  const labels = optionLabels(info.schema);
  const disc = discriminatorOf(info.schema);
  const absent = value === undefined;
  const index = optionIndex(info.schema, value);
  const chosen = inspect(options[index]!);
  return (
    <Group legend={label} path={pathString(path)}>
      <LabelledControl
        label={`${label} ${disc ?? 'kind'}`}
        path={disc ? pathString([...path, disc]) : `${pathString(path)}#kind`}
      >
        {(c) => (
          <select
            {...c}
            value={absent && info.optional ? '' : String(index)}
            onChange={(e) =>
              onChange(
                e.target.value === '' ? undefined : emptyValue(options[Number(e.target.value)]!),
              )
            }
          >
            {info.optional && <option value="">(not set)</option>}
            {labels.map((l, i) => (
              <option key={l} value={i}>
                {l}
              </option>
            ))}
          </select>
        )}
      </LabelledControl>
      {!(absent && info.optional) &&
        (chosen.kind === 'object' ? (
          <ObjectFields
            schema={chosen.schema}
            value={value}
            onChange={onChange}
            path={path}
            omit={disc ? [disc] : []}
          />
        ) : (
          <Field
            schema={options[index]!}
            value={value}
            onChange={onChange}
            path={path}
            label={labels[index]!}
          />
        ))}
    </Group>
  );
}
