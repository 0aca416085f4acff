import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { domainNameInputSchema } from './schemas.ts';
import { type DomainView, domainView, requireDomain } from './view.ts';

/** One domain: its keys and the records to publish. */
export async function showDomain({
  ctx,
  input,
}: ServiceCall<{ name: string }>): Promise<DomainView> {
  const { name } = parseInput(domainNameInputSchema, input);
  const d = await requireDomain(ctx.db, name);
  return domainView(d, nowOf(ctx));
}
