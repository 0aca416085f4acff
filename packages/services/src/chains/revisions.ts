import { getChainRevision, listChainRevisions, type schema } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import { chainNameInput, requireChain } from './schemas.ts';

export type ChainRevisionView = ReturnType<typeof view>;

const view = (r: schema.ChainRevision) => ({
  version: r.version,
  author: r.author,
  comment: r.comment,
  created_at: r.createdAt,
  filters: r.filters,
});

/** A chain's revisions, newest first: who saved each, when, and why. */
export async function chainRevisionList({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainNameInput>>): Promise<ChainRevisionView[]> {
  const i = parseInput(chainNameInput, input);
  const chain = await requireChain(ctx.db, i.name);
  return (await listChainRevisions(ctx.db, chain.id)).map(view);
}

export const chainRevisionInput = chainNameInput.extend({
  version: z.number().int().positive(),
});

export async function chainRevisionGet({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainRevisionInput>>): Promise<ChainRevisionView> {
  const i = parseInput(chainRevisionInput, input);
  const chain = await requireChain(ctx.db, i.name);
  const revision = await getChainRevision(ctx.db, chain.id, i.version);
  if (!revision) {
    throw new AppError('not_found', `chain "${i.name}" has no revision ${i.version}`, {
      details: [{ field: 'version', message: 'unknown revision' }],
    });
  }
  return view(revision);
}
