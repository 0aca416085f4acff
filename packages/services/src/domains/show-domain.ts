import { getDomainByName } from '@koukan/db';
import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { domainNameInputSchema } from './schemas.ts';
import { type DomainView, domainNotFound, domainView } from './view.ts';

/** One domain: its keys and the records to publish. */
export async function showDomain({
  ctx,
  input,
}: ServiceCall<{ name: string }>): Promise<DomainView> {
  const { name } = parseInput(domainNameInputSchema, input);
  const d = await getDomainByName(ctx.db, name);
  if (!d) throw domainNotFound(name);
  return domainView(d, nowOf(ctx));
}
