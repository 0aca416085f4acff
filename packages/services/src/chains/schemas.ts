import { validateChain } from '@koukan/chain';
import { type DbOrTx, getChainByName, type schema } from '@koukan/db';
import { chainNameSchema } from '@koukan/db/schema';
import { z } from 'zod';
import { AppError, fieldError, fieldPath } from '../errors.ts';

type Chain = schema.Chain;

export const chainSaveInput = z.strictObject({
  name: chainNameSchema,
  description: z.string().max(500).optional(),
  /** The ordered filters, validated with @koukan/chain's schemas. */
  filters: z.array(z.unknown()),
  /** Why: shown in the revision history. */
  comment: z.string().max(500).default(''),
  /** The version the editor loaded (0 for a new chain): `conflict` if it moved on. */
  expected_version: z.number().int().nonnegative().optional(),
});

export const chainNameInput = z.strictObject({ name: chainNameSchema });

/**
 * The chain's filters as @koukan/chain validates them: a `bad_request` naming each offending
 * key as `filters[1].url`. Returns the filters as given (defaults are applied when they run).
 */
export function validFilters(filters: unknown[], prefix = 'filters'): schema.FilterConfig[] {
  const result = validateChain(filters);
  if (!result.ok) {
    const details = result.errors.map((e) => ({
      field: fieldPath(e.path, prefix),
      message: e.message,
    }));
    throw new AppError('bad_request', `${details[0]!.field}: ${details[0]!.message}`, { details });
  }
  return filters as schema.FilterConfig[];
}

export async function requireChain(db: DbOrTx, name: string, field = 'name'): Promise<Chain> {
  const chain = await getChainByName(db, name);
  if (!chain) {
    throw fieldError('not_found', `no chain named "${name}"`, field, 'unknown chain');
  }
  return chain;
}

export type ChainView = ReturnType<typeof chainView>;

export function chainView(c: Chain) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    filters: c.filters,
    version: c.version,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}
