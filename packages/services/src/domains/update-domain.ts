import { canonicalJson, recordAudit, updateDomainSettings } from '@koukan/db';
import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { type UpdateDomainInput, updateDomainInputSchema } from './schemas.ts';
import { type DomainView, domainView, requireDomain } from './view.ts';

/** New SPF / DMARC / MTA-STS / TLS-RPT settings (the records change with them). Audited. */
export async function updateDomain({
  ctx,
  input,
}: ServiceCall<UpdateDomainInput>): Promise<DomainView> {
  const { name, settings } = parseInput(updateDomainInputSchema, input);
  return ctx.db.transaction(async (tx) => {
    const d = await requireDomain(tx, name);
    if (canonicalJson(d.settings) === canonicalJson(settings)) return domainView(d, nowOf(ctx));
    const row = await updateDomainSettings(tx, d.id, settings);
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'domain.update',
      entityType: 'domain',
      entityId: d.id,
      details: { name, version: row.version, settings },
    });
    return domainView({ ...row, keys: d.keys }, nowOf(ctx));
  });
}
