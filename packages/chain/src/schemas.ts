/**
 * Chain and filter config schemas only (no filter code, no mail libraries): cheap to import
 * for the console's editor, YAML import and the REST boundary.
 */
import { z } from 'zod';
import { addRouteSchema } from './filters/add-route.schema.ts';
import { authCheckSchema } from './filters/auth-check.schema.ts';
import { dkimSignSchema } from './filters/dkim-sign.schema.ts';
import { dnsResolutionSchema } from './filters/dns-resolution.schema.ts';
import { exploderSchema } from './filters/exploder.schema.ts';
import { messageBuilderFilterSchema } from './filters/message-builder.schema.ts';
import { messageParserSchema } from './filters/message-parser.schema.ts';
import { policySchema } from './filters/policy.schema.ts';
import { receivedHeaderSchema } from './filters/received-header.schema.ts';
import { restOutputSchema } from './filters/rest-output.schema.ts';
import { routerSchema } from './filters/router.schema.ts';
import { sandboxSchema } from './filters/sandbox.schema.ts';
import { secondsSchema } from './schema-common.ts';

export type { MessageBuilderInput, MessageBuilderSpec } from './builder/schema.ts';
export { messageBuilderSchema } from './builder/schema.ts';

/** Config schema of every filter, keyed by filter name (without the `filter`/`timeout` keys). */
export const filterConfigSchemas = {
  router: routerSchema,
  exploder: exploderSchema,
  dns_resolution: dnsResolutionSchema,
  message_builder: messageBuilderFilterSchema,
  message_parser: messageParserSchema,
  dkim_sign: dkimSignSchema,
  auth_check: authCheckSchema,
  received_header: receivedHeaderSchema,
  policy: policySchema,
  add_route: addRouteSchema,
  rest_output: restOutputSchema,
  sandbox: sandboxSchema,
} as const;

export type FilterName = keyof typeof filterConfigSchemas;
export const filterNames = Object.keys(filterConfigSchemas) as FilterName[];

/** Keys every chain entry may carry besides its filter's config. */
const commonKeys = {
  /** seconds before the filter answers a temporary failure */
  timeout: secondsSchema.optional(),
};

function entry<N extends FilterName>(name: N) {
  return filterConfigSchemas[name].safeExtend({ filter: z.literal(name), ...commonKeys });
}

export const chainEntrySchema = z.discriminatedUnion('filter', [
  entry('router'),
  entry('exploder'),
  entry('dns_resolution'),
  entry('message_builder'),
  entry('message_parser'),
  entry('dkim_sign'),
  entry('auth_check'),
  entry('received_header'),
  entry('policy'),
  entry('add_route'),
  entry('rest_output'),
  entry('sandbox'),
]);

/** An ordered list of `{ filter: name, …config }`. */
export const chainSchema = z.array(chainEntrySchema);

export type ChainEntry = z.output<typeof chainEntrySchema>;
export type ChainEntryInput = z.input<typeof chainEntrySchema>;
export type Chain = z.output<typeof chainSchema>;
export type ChainInput = z.input<typeof chainSchema>;
/** The validated entry of filter `N`: its config plus the common keys. */
export type EntryOf<N extends FilterName> = z.output<(typeof filterConfigSchemas)[N]> & {
  filter: N;
  timeout?: number | undefined;
};

export type ChainValidationError = { path: (string | number)[]; message: string };
export type ValidateResult =
  | { ok: true; chain: Chain }
  | { ok: false; errors: ChainValidationError[] };

const toPath = (p: readonly PropertyKey[]) => p.map((k) => (typeof k === 'number' ? k : String(k)));

type Issue = z.core.$ZodIssue;

const depth = (issues: Issue[]): number =>
  Math.max(
    0,
    ...issues.map((i) =>
      i.code === 'invalid_union' && i.errors.length
        ? i.path.length + Math.max(...i.errors.map(depth))
        : i.path.length,
    ),
  );

/** How well a union branch fits: deep errors, not "unknown key"/"missing key" at its root. */
const score = (issues: Issue[]) =>
  depth(issues) * 10 -
  issues.filter((i) => i.code === 'unrecognized_keys').length * 5 -
  issues.filter((i) => i.code === 'invalid_type' && i.message.endsWith('received undefined'))
    .length *
    3;

/** Flatten issues into `{ path, message }`, one per unknown key, and look into unions: the
 * branch that got deepest is the one the author meant (e.g. a nested policy match). */
function flattenIssues(issues: Issue[], prefix: (string | number)[] = []): ChainValidationError[] {
  const out: ChainValidationError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...toPath(issue.path)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (score(b) > score(a) ? b : a));
      if (depth(best) > 0) out.push(...flattenIssues(best, path));
      else out.push({ path, message: issue.message });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** Validate a chain (parsed YAML/JSON); each error names the path of the offending key. */
export function validateChain(input: unknown): ValidateResult {
  const r = chainSchema.safeParse(input);
  return r.success
    ? { ok: true, chain: r.data }
    : { ok: false, errors: flattenIssues(r.error.issues) };
}

/** A set of named chains, as in the seed configuration. */
export const chainSetSchema = z.record(z.string().min(1), chainSchema);

export function validateChainSet(
  input: unknown,
): { ok: true; chains: Record<string, Chain> } | { ok: false; errors: ChainValidationError[] } {
  const r = chainSetSchema.safeParse(input);
  return r.success
    ? { ok: true, chains: r.data }
    : { ok: false, errors: flattenIssues(r.error.issues) };
}
