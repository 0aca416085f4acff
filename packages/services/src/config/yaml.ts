import { validateChain } from '@koukan/chain';
import {
  ConfigError,
  type ConfigFile,
  type ConfigWarning,
  exportConfig,
  type ImportResult,
  importConfig,
  parseConfig,
} from '@koukan/db/config';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';

export const configYamlInput = z.strictObject({
  yaml: z
    .string()
    .min(1)
    .max(5 * 1024 * 1024),
});

/** A configuration file's errors as a `bad_request` naming each path (`sender[1].retry`). */
function configErrorToAppError(err: unknown): never {
  if (err instanceof ConfigError) {
    const details = err.issues.map((i) => ({ field: i.path, message: i.message }));
    throw new AppError('bad_request', err.message, { details });
  }
  throw err;
}

/**
 * Parses and validates a file (chains with @koukan/chain's schemas), with the deprecated
 * spellings it used (read anyway), as `{ field, message }`.
 */
export function parseConfigFile(yaml: string): {
  config: ConfigFile;
  warnings: { field: string; message: string }[];
} {
  const warnings: { field: string; message: string }[] = [];
  try {
    const onWarning = (w: ConfigWarning) => warnings.push({ field: w.path, message: w.message });
    return { config: parseConfig(yaml, { validateChain, onWarning }), warnings };
  } catch (err) {
    configErrorToAppError(err);
  }
}

/** The whole configuration (senders and chains) as YAML, in the `KOUKAN_CONFIG` format. */
export async function configExport({ ctx }: ServiceCall<unknown>): Promise<{ yaml: string }> {
  return { yaml: await exportConfig(ctx.db) };
}

/**
 * Imports a configuration file: senders and chains upserted in one database transaction,
 * each change audited (`sender.import`, `chain.import`, with the caller as actor). Nothing
 * is removed. Preview it first with `configImportPreview`.
 */
export async function configImportApply({
  ctx,
  input,
}: ServiceCall<z.input<typeof configYamlInput>>): Promise<ImportResult> {
  const i = parseInput(configYamlInput, input);
  const { config, warnings } = parseConfigFile(i.yaml);
  const result = await importConfig(ctx.db, config, { actor: ctx.actor, validateChain }).catch(
    configErrorToAppError,
  );
  for (const w of warnings) ctx.logger.warn({ path: w.field }, w.message);
  return { ...result, warnings: warnings.map((w) => ({ path: w.field, message: w.message })) };
}
