import { z } from 'zod';

/**
 * A small reading of zod 4 schemas for form generation: what kind of input a schema wants,
 * whether it may be left out, its default, and the shapes inside objects, arrays, records
 * and unions. Wrappers (optional, default, nullable, lazy, pipe, readonly) are looked through.
 */

type AnySchema = z.ZodType;
// biome-ignore lint/suspicious/noExplicitAny: zod's internal definitions are untyped here
type Def = { type: string } & Record<string, any>;

const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'literal'
  | 'array'
  | 'object'
  | 'record'
  | 'union'
  | 'unknown';

export interface FieldInfo {
  kind: Kind;
  /** The schema with its wrappers removed. */
  schema: AnySchema;
  /** May be left out (optional, or has a default). */
  optional: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  /** A string naming a stored secret (`.meta({ secret_ref: true })`): chosen, never typed. */
  secretRef: boolean;
}

const isSecret = (s: AnySchema) =>
  Boolean((z.globalRegistry.get(s) as { secret_ref?: unknown } | undefined)?.secret_ref);

export function inspect(schema: AnySchema): FieldInfo {
  let cur = schema;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  let secretRef = isSecret(cur);
  for (let guard = 0; guard < 32; guard++) {
    const d = defOf(cur);
    if (d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') {
      if (d.type !== 'readonly') optional = true;
      cur = d.innerType;
    } else if (d.type === 'default' || d.type === 'prefault') {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = structuredClone(d.defaultValue);
      }
      cur = d.innerType;
    } else if (d.type === 'lazy') {
      cur = d.getter();
    } else if (d.type === 'pipe') {
      cur = d.in;
    } else {
      break;
    }
    secretRef ||= isSecret(cur);
  }
  const d = defOf(cur);
  let kind: Kind;
  switch (d.type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'enum':
    case 'literal':
    case 'array':
    case 'object':
    case 'record':
      kind = d.type;
      break;
    case 'int':
    case 'bigint':
      kind = 'number';
      break;
    case 'union':
      // A union of string formats (an address or a CIDR) is one text field.
      kind = unionOptions(cur).every((o) => inspect(o).kind === 'string') ? 'string' : 'union';
      break;
    default:
      kind = 'unknown';
  }
  return {
    kind,
    schema: cur,
    optional: optional || hasDefault,
    hasDefault,
    defaultValue,
    secretRef,
  };
}

export const objectShape = (s: AnySchema): Record<string, AnySchema> => defOf(s).shape ?? {};
export const arrayElement = (s: AnySchema): AnySchema => defOf(s).element;
export const recordValue = (s: AnySchema): AnySchema => defOf(s).valueType;
export const unionOptions = (s: AnySchema): AnySchema[] => defOf(s).options ?? [];
export const enumValues = (s: AnySchema): string[] => Object.values(defOf(s).entries ?? {});
const literalValues = (s: AnySchema): unknown[] => defOf(s).values ?? [];

/** Number bounds and whether only integers are allowed. */
export function numberInfo(s: AnySchema): { int: boolean; min?: number; max?: number } {
  const n = s as unknown as { isInt?: boolean; minValue?: number | null; maxValue?: number | null };
  const safe = (v: number | null | undefined) =>
    v === null || v === undefined || !Number.isFinite(v) || Math.abs(v) >= Number.MAX_SAFE_INTEGER
      ? undefined
      : v;
  const min = safe(n.minValue);
  const max = safe(n.maxValue);
  return {
    int: Boolean(n.isInt),
    ...(min !== undefined && { min }),
    ...(max !== undefined && { max }),
  };
}

/** The key whose literal value tells a union's object options apart (`type`, `action`…). */
export function discriminatorOf(s: AnySchema): string | undefined {
  const d = defOf(s);
  if (typeof d.discriminator === 'string') return d.discriminator;
  const options = unionOptions(s).map(inspect);
  if (!options.length || options.some((o) => o.kind !== 'object')) return undefined;
  const keys = Object.keys(objectShape(options[0]!.schema));
  return keys.find((k) =>
    options.every((o) => {
      const f = objectShape(o.schema)[k];
      return f !== undefined && inspect(f).kind === 'literal';
    }),
  );
}

/** A short name for each option of a union: its discriminator value, or its keys. */
export function optionLabels(s: AnySchema): string[] {
  const disc = discriminatorOf(s);
  return unionOptions(s).map((o, i) => {
    const info = inspect(o);
    if (disc) return String(literalValues(inspect(objectShape(info.schema)[disc]!).schema)[0]);
    if (info.kind === 'object') return Object.keys(objectShape(info.schema)).join(', ');
    return `${info.kind} ${i + 1}`;
  });
}

/** Which option of a union a value is (by discriminator, by keys, or by parsing). */
export function optionIndex(s: AnySchema, value: unknown): number {
  const options = unionOptions(s);
  const disc = discriminatorOf(s);
  if (disc && value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[disc];
    const i = optionLabels(s).indexOf(String(v));
    if (i >= 0) return i;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const i = options.findIndex((o) => {
      const info = inspect(o);
      if (info.kind !== 'object') return false;
      const shape = objectShape(info.schema);
      return keys.length > 0 && keys.every((k) => k in shape);
    });
    if (i >= 0) return i;
  }
  const parsed = options.findIndex((o) => o.safeParse(value).success);
  return Math.max(0, parsed);
}

/** A starting value for a new item or a newly chosen union option: required keys only. */
export function emptyValue(schema: AnySchema, depth = 0): unknown {
  const info = inspect(schema);
  if (info.hasDefault) return structuredClone(info.defaultValue);
  if (depth > 8) return undefined;
  switch (info.kind) {
    case 'string':
      return '';
    case 'boolean':
      return false;
    case 'enum':
      return enumValues(info.schema)[0];
    case 'literal':
      return literalValues(info.schema)[0];
    case 'array':
      return [];
    case 'record':
      return {};
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, f] of Object.entries(objectShape(info.schema))) {
        const fi = inspect(f);
        if (!fi.optional) out[k] = emptyValue(f, depth + 1);
      }
      return out;
    }
    case 'union': {
      const first = unionOptions(info.schema)[0];
      return first ? emptyValue(first, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

/** `policies[0].domains`: the form's (and the services') way of naming a field. */
export function pathString(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
}

/** `private_key_ref` → `private key ref`. */
export const humanize = (key: string) => key.replace(/_/g, ' ');
