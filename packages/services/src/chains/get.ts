import type { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { type ChainView, chainNameInput, chainView, requireChain } from './schemas.ts';

/** One chain as it is now (its filters and version, the editor's starting point). */
export async function chainGet({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainNameInput>>): Promise<ChainView> {
  const i = parseInput(chainNameInput, input);
  return chainView(await requireChain(ctx.db, i.name));
}
