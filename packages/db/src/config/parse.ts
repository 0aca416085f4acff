import { parseDocument } from 'yaml';
import {
  type ChainValidator,
  ConfigError,
  type ConfigFile,
  type ConfigIssue,
  type ConfigWarning,
  configFileSchema,
  formatPath,
} from './schema.ts';

export interface ParseOptions {
  validateChain?: ChainValidator;
  /** Told about each deprecated spelling the file uses (it is read anyway). */
  onWarning?: (warning: ConfigWarning) => void;
}

/**
 * Parses and validates a configuration file. Throws ConfigError naming the path of every
 * offending key; never returns a half-valid configuration.
 */
export function parseConfig(text: string, options: ParseOptions = {}): ConfigFile {
  const deep = flowNestingOver(text, MAX_NESTING);
  if (deep) {
    throw new ConfigError([
      { path: '', message: `nested deeper than ${MAX_NESTING} levels at line ${deep.line}` },
    ]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ path: '', message: e.message })));
  }
  let value: unknown;
  try {
    // An alias bomb ("billion laughs") is refused by the yaml library's alias budget.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([{ path: '', message: (err as Error).message }]);
  }
  return validateConfig(value ?? {}, options);
}

/** No configuration nests this deep; the parser's recursion would, slowly, and overflow. */
const MAX_NESTING = 64;

/**
 * The line where flow collections (`[`, `{`) nest deeper than `max`, outside quoted scalars
 * and comments, or null: a linear scan, so that a file of brackets is refused before the
 * parser spends seconds on it.
 */
function flowNestingOver(text: string, max: number): { line: number } | null {
  let depth = 0;
  let line = 1;
  let quote: '"' | "'" | null = null;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > max) return { line };
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return null;
}

/** Validates a configuration object (parsed YAML, or built in code) as parseConfig does. */
export function validateConfig(input: unknown, options: ParseOptions = {}): ConfigFile {
  const legacy = upgradeLegacyConfig(input);
  if (legacy.warning) options.onWarning?.(legacy.warning);
  // Errors name the keys of the file as written.
  const at = (path: string) => (legacy.warning ? legacyPath(path) : path);
  try {
    return checkConfig(legacy.input, options);
  } catch (err) {
    if (err instanceof ConfigError && legacy.warning) {
      throw new ConfigError(err.issues.map((i) => ({ ...i, path: at(i.path) })));
    }
    throw err;
  }
}

/**
 * The old spelling: `endpoint:` entries, each with its filters under `chain:`. Read as the new
 * one (`chain:` entries with `filters:`), with a warning; a file that uses both keys is refused.
 */
function upgradeLegacyConfig(input: unknown): {
  input: unknown;
  warning?: ConfigWarning;
} {
  if (!input || typeof input !== 'object' || !('endpoint' in input)) return { input };
  const { endpoint, ...rest } = input as Record<string, unknown>;
  if ('chain' in rest) {
    const message = 'give the chains under `chain:` only (`endpoint:` is its old name)';
    throw new ConfigError([{ path: 'endpoint', message }]);
  }
  const chain = Array.isArray(endpoint)
    ? endpoint.map((e) => {
        if (!e || typeof e !== 'object' || Array.isArray(e)) return e;
        const { chain: filters, ...entry } = e as Record<string, unknown>;
        return filters === undefined ? entry : { ...entry, filters };
      })
    : endpoint;
  const message =
    "`endpoint:` is deprecated: name the list `chain:` and each entry's filter list `filters:`";
  return { input: { ...rest, chain }, warning: { path: 'endpoint', message } };
}

/** `chain[0].filters[1].url` as the old spelling has it: `endpoint[0].chain[1].url`. */
function legacyPath(path: string): string {
  return path.replace(
    /^chain(\[\d+\])?(\.filters)?/,
    (_, index = '', filters) => `endpoint${index}${filters ? '.chain' : ''}`,
  );
}

function checkConfig(input: unknown, options: ParseOptions): ConfigFile {
  const result = configFileSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const config = result.data;
  const issues: ConfigIssue[] = [];
  duplicates(
    config.sender.map((s) => s.name),
    'sender',
    issues,
  );
  duplicates(
    config.chain.map((c) => c.name),
    'chain',
    issues,
  );
  duplicates(
    config.domain.map((d) => d.name),
    'domain',
    issues,
  );
  config.domain.forEach((d, i) => {
    const seen = new Set<string>();
    d.keys.forEach((k, j) => {
      const s = k.selector.toLowerCase();
      if (seen.has(s)) {
        issues.push({
          path: `domain[${i}].keys[${j}].selector`,
          message: `duplicate selector "${k.selector}"`,
        });
      }
      seen.add(s);
    });
  });
  config.chain.forEach((chain, i) => {
    const verdict = options.validateChain?.(chain.filters);
    if (verdict && !verdict.ok) {
      for (const e of verdict.errors) {
        issues.push({ path: formatPath(['chain', i, 'filters', ...e.path]), message: e.message });
      }
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

function duplicates(names: string[], key: string, issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name))
      issues.push({ path: `${key}[${i}].name`, message: `duplicate name "${name}"` });
    seen.add(name);
  });
}
