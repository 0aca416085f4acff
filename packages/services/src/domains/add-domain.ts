import { getDomainByName, insertDomain, recordAudit } from '@koukan/db';
import { nowOf, type ServiceCall } from '../context.ts';
import { fieldError, parseInput } from '../errors.ts';
import { requireKey } from '../secrets/cipher.ts';
import { addKeyPair } from './keys.ts';
import { type AddDomainInput, addDomainInputSchema } from './schemas.ts';
import { type DomainView, domainView } from './view.ts';

/**
 * A new sending domain with an RSA-2048 and an Ed25519 DKIM key (dated selectors), their private
 * keys stored as encrypted secrets, signing at once. Returns the domain and its records to
 * publish. Audited.
 */
export async function addDomain({ ctx, input }: ServiceCall<AddDomainInput>): Promise<DomainView> {
  const { name, settings } = parseInput(addDomainInputSchema, input);
  requireKey(ctx.secretKey);
  const now = nowOf(ctx);
  await ctx.db.transaction(async (tx) => {
    if (await getDomainByName(tx, name)) {
      throw fieldError('conflict', `domain "${name}" exists`, 'name', 'already exists');
    }
    const domain = await insertDomain(tx, { name, settings: settings ?? {} });
    const selectors = await addKeyPair(ctx, tx, { ...domain, keys: [] }, now, now);
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'domain.add',
      entityType: 'domain',
      entityId: domain.id,
      details: { name, selectors },
    });
  });
  return domainView((await getDomainByName(ctx.db, name))!, now);
}
