import {
  deleteDomainKeys,
  deleteSecretRow,
  getDomainByName,
  recordAudit,
  setDomainKeyRetireAt,
  touchDomain,
} from '@koukan/db';
import { durationToMs } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { requireKey } from '../secrets/cipher.ts';
import { addKeyPair, keyState } from './keys.ts';
import { type RotateDomainInput, rotateDomainInputSchema } from './schemas.ts';
import { type DomainView, domainView, requireDomain } from './view.ts';

/**
 * New keys (both algorithms, next dated selectors) published beside the current ones: they sign
 * from `now + publish_wait`, and the keys they replace stay published until `grace` after that,
 * so mail signed before the switch still verifies. Keys already retired are deleted with their
 * secrets. Audited.
 */
export async function rotateDomain({
  ctx,
  input,
}: ServiceCall<RotateDomainInput>): Promise<DomainView> {
  const { name, publish_wait, grace } = parseInput(rotateDomainInputSchema, input);
  requireKey(ctx.secretKey);
  const now = nowOf(ctx);
  const activeFrom = new Date(now.getTime() + durationToMs(publish_wait));
  const retireAt = new Date(activeFrom.getTime() + durationToMs(grace));
  return ctx.db.transaction(async (tx) => {
    const d = await requireDomain(tx, name);
    const retired = d.keys.filter((k) => keyState(k, d.keys, now) === 'retired');
    await deleteDomainKeys(
      tx,
      retired.map((k) => k.id),
    );
    for (const k of retired) await deleteSecretRow(tx, k.secretName);
    const kept = d.keys.filter((k) => !retired.includes(k));
    for (const k of kept) {
      if (!k.retireAt || k.retireAt > retireAt) await setDomainKeyRetireAt(tx, k.id, retireAt);
    }
    const selectors = await addKeyPair(ctx, tx, d, activeFrom, now);
    await touchDomain(tx, d.id);
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'domain.rotate',
      entityType: 'domain',
      entityId: d.id,
      details: {
        name,
        selectors,
        active_from: activeFrom.toISOString(),
        replaced: kept.map((k) => k.selector),
        retire_at: retireAt.toISOString(),
        deleted: retired.map((k) => k.selector),
      },
    });
    return domainView((await getDomainByName(tx, name))!, now);
  });
}
