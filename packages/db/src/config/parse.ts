import { parseDocument } from 'yaml';
import {
  type ChainValidator,
  ConfigError,
  type ConfigFile,
  type ConfigIssue,
  configFileSchema,
  formatPath,
} from './schema.ts';

/**
 * Parses and validates a configuration file. Throws ConfigError naming the path of every
 * offending key; never returns a half-valid configuration.
 */
export function parseConfig(
  text: string,
  options: { validateChain?: ChainValidator } = {},
): ConfigFile {
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
export function validateConfig(
  input: unknown,
  options: { validateChain?: ChainValidator } = {},
): ConfigFile {
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
    config.endpoint.map((e) => e.name),
    'endpoint',
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
  config.endpoint.forEach((endpoint, i) => {
    const verdict = options.validateChain?.(endpoint.chain);
    if (verdict && !verdict.ok) {
      for (const e of verdict.errors) {
        issues.push({ path: formatPath(['endpoint', i, 'chain', ...e.path]), message: e.message });
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
