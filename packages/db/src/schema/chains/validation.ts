import { z } from 'zod';

/**
 * The stored shape of a chain: an ordered list of `{ filter, ...config }`. The filter-specific
 * validation lives in @koukan/chain; this is the structural minimum the database accepts.
 */
export const filterConfigSchema = z.looseObject({ filter: z.string().min(1) });
export const chainNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-", at most 63');
