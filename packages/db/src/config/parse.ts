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
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ path: '', message: e.message })));
  }
  return validateConfig(doc.toJS() ?? {}, options);
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
