import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { $ZodType } from 'zod/v4/core';

/** What a plan answers for a value it cannot vouch for: zod then judges the whole response. */
const FAIL = Symbol('fail');
type Plan = (v: unknown) => unknown;

interface Def {
  type: string;
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  shape?: Record<string, $ZodType>;
  catchall?: $ZodType;
  element?: $ZodType;
  innerType?: $ZodType;
  entries?: Record<string, unknown>;
  values?: unknown[];
}
const defOf = (s: $ZodType) => s._zod.def as unknown as Def;

const isSafeInt = (v: unknown) => Number.isSafeInteger(v);
const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/**
 * A plan for `schema`: a copy of the value with what zod's encode keeps (an object's own keys
 * in its shape's order, unknown keys stripped), or FAIL where a value is not what the schema
 * says. Undefined for a schema it does not know (transforms, unions, records, checks on
 * strings, …): that schema stays with zod.
 */
export function planOf(schema: $ZodType): Plan | undefined {
  const def = defOf(schema);
  const checks = def.checks ?? [];
  switch (def.type) {
    case 'string':
      return checks.length ? undefined : (v) => (typeof v === 'string' ? v : FAIL);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : FAIL);
    case 'null':
      return (v) => (v === null ? v : FAIL);
    case 'number': {
      if (checks.length === 0) return (v) => (isFiniteNumber(v) ? v : FAIL);
      const safeint = checks.length === 1 && checks[0]!._zod.def.format === 'safeint';
      return safeint ? (v) => (isSafeInt(v) ? v : FAIL) : undefined;
    }
    case 'enum': {
      const values = new Set(Object.values(def.entries ?? {}));
      return (v) => (values.has(v) ? v : FAIL);
    }
    case 'literal': {
      const values = new Set(def.values ?? []);
      return (v) => (values.has(v) ? v : FAIL);
    }
    case 'nullable': {
      const inner = planOf(def.innerType!);
      return inner && ((v) => (v === null ? null : inner(v)));
    }
    case 'array': {
      const element = planOf(def.element!);
      if (!element || checks.length) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return FAIL;
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const e = element(v[i]);
          if (e === FAIL || e === undefined) return FAIL;
          out[i] = e;
        }
        return out;
      };
    }
    case 'object':
      return objectPlan(def);
    default:
      return undefined;
  }
}

function objectPlan(def: Def): Plan | undefined {
  // a loose object keeps unknown keys, a strict one refuses them: zod's
  if (def.catchall !== undefined) return undefined;
  const fields: { key: string; plan: Plan; optional: boolean }[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const d = defOf(field);
    const optional = d.type === 'optional';
    const plan = planOf(optional ? d.innerType! : field);
    if (!plan) return undefined;
    fields.push({ key, plan, optional });
  }
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return FAIL;
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const { key, plan, optional } of fields) {
      const value = input[key];
      if (value === undefined) {
        if (optional) continue;
        return FAIL;
      }
      const x = plan(value);
      if (x === FAIL) return FAIL;
      out[key] = x;
    }
    return out;
  };
}

/**
 * Fastify's response serializer for the zod schemas of the routes: for the plain data schemas
 * of the API (objects, arrays, strings, numbers, enums, nullable and optional fields) the
 * response is copied as zod's encode would give it and stringified, without zod's parse
 * machinery (a few per cent of the router's CPU per relayed message: every transaction view);
 * the same bytes as fastify-type-provider-zod's `serializerCompiler`, which still serializes
 * every other schema and every value the plan cannot vouch for (and fails it as before).
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  const zod = zodSerializerCompiler(route as never) as (data: unknown) => string;
  const schema: unknown = route.schema;
  const plan = schema instanceof $ZodType ? planOf(schema) : undefined;
  if (!plan) return zod;
  return (data: unknown) => {
    const copy = plan(data);
    return copy === FAIL ? zod(data) : JSON.stringify(copy);
  };
};
