import { deleteDomain, deleteSecretRow, recordAudit } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { domainNameInputSchema } from './schemas.ts';
import { requireDomain } from './view.ts';

/** Removes a domain, its keys and their secrets: its mail goes out unsigned from then on. */
export async function removeDomain({ ctx, input }: ServiceCall<{ name: string }>): Promise<void> {
  const { name } = parseInput(domainNameInputSchema, input);
  await ctx.db.transaction(async (tx) => {
    const d = await requireDomain(tx, name);
    await deleteDomain(tx, d.id);
    for (const k of d.keys) await deleteSecretRow(tx, k.secretName);
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'domain.remove',
      entityType: 'domain',
      entityId: d.id,
      details: { name, selectors: d.keys.map((k) => k.selector) },
    });
  });
}
