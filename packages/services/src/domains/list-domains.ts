import { listDomains as listDomainRows } from '@koukan/db';
import { nowOf, type ServiceCall } from '../context.ts';
import { type DomainView, domainView } from './view.ts';

/** Every sending domain, by name, with its keys and records. */
export async function listDomains({
  ctx,
}: ServiceCall<Record<string, never> | undefined>): Promise<DomainView[]> {
  const now = nowOf(ctx);
  return (await listDomainRows(ctx.db)).map((d) => domainView(d, now));
}
