import { isDbError, recordAudit, saveChainRevision } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import { type ChainView, chainSaveInput, chainView, validFilters } from './schemas.ts';

export interface ChainSaveResult {
  chain: ChainView;
  /** False when the chain was already exactly this (nothing saved, nothing audited). */
  changed: boolean;
}

/**
 * Saves an edited chain as a new revision (author = the caller, with a comment), creating the
 * chain if it does not exist. Validated with @koukan/chain's schemas (errors name their path,
 * e.g. `filters[2].url`). Audited with the versions before and after. Running routers load it
 * within their configuration poll (about a second; at once where NOTIFY reaches them).
 */
export async function chainSave({
  ctx,
  input,
}: ServiceCall<z.input<typeof chainSaveInput>>): Promise<ChainSaveResult> {
  const i = parseInput(chainSaveInput, input);
  return saveChain(ctx, {
    name: i.name,
    ...(i.description !== undefined && { description: i.description }),
    filters: validFilters(i.filters),
    comment: i.comment,
    ...(i.expected_version !== undefined && { expectedVersion: i.expected_version }),
    action: 'chain.save',
  });
}

/** The write shared by save and restore. */
export async function saveChain(
  ctx: ServiceContext,
  input: Omit<Parameters<typeof saveChainRevision>[1], 'author'> & {
    action: string;
    extra?: Record<string, unknown>;
  },
): Promise<ChainSaveResult> {
  const { action, extra, ...revision } = input;
  return ctx.db
    .transaction(async (tx) => {
      const { chain, before, changed } = await saveChainRevision(tx, {
        ...revision,
        author: ctx.actor,
      });
      if (changed) {
        await recordAudit(tx, {
          actor: ctx.actor,
          action,
          entityType: 'chain',
          entityId: chain.id,
          details: {
            name: chain.name,
            comment: revision.comment,
            before: before ? { version: before.version, filters: before.filters } : null,
            after: { version: chain.version, filters: chain.filters },
            ...extra,
          },
        });
      }
      return { chain: chainView(chain), changed };
    })
    .catch((err: unknown) => {
      if (isDbError(err, 'version_conflict')) {
        throw new AppError('conflict', `${err.message}: reload it and apply your change again`, {
          details: [
            { field: 'expected_version', message: 'the chain changed since it was loaded' },
          ],
        });
      }
      throw err;
    });
}
