import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { chainRevisionGet, chainRevisionInput } from './revisions.ts';
import { type ChainSaveResult, saveChain } from './save.ts';
import { validFilters } from './schemas.ts';

export const chainRestoreInput = chainRevisionInput.extend({
  comment: z.string().max(500).optional(),
  expected_version: z.number().int().nonnegative().optional(),
});

/**
 * Restores an earlier revision: its filters are saved as a new revision (history is never
 * rewritten), still valid under today's schemas. Audited as `chain.restore`.
 */
export async function chainRestore({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainRestoreInput>>): Promise<ChainSaveResult> {
  const i = parseInput(chainRestoreInput, input);
  const revision = await chainRevisionGet({ ctx, input: { name: i.name, version: i.version } });
  return saveChain(ctx, {
    name: i.name,
    filters: validFilters(revision.filters),
    comment: i.comment ?? `restored revision ${i.version}`,
    ...(i.expected_version !== undefined && { expectedVersion: i.expected_version }),
    action: 'chain.restore',
    extra: { restored_version: i.version },
  });
}
