import { z } from 'zod';

/** The pieces the apps' environment schemas share; each app validates its own once at start. */
export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
export const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** `source` parsed by `schema`, or an error `invalid <what>:` naming each bad variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined>,
  what: string,
): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid ${what}:\n${lines.join('\n')}`);
}
