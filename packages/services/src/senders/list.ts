import { listSenders } from '@koukan/db';
import { sql } from 'drizzle-orm';
import type { ServiceCall } from '../context.ts';
import { type SenderView, senderView } from './schemas.ts';

export interface SenderSummary extends SenderView {
  /** API keys not revoked. */
  active_keys: number;
}

/** Every sender, by name, with its number of live API keys. */
export async function senderList({ ctx }: ServiceCall<unknown>): Promise<SenderSummary[]> {
  const [senders, counts] = await Promise.all([
    listSenders(ctx.db),
    ctx.db.execute<{ sender_id: string; n: number }>(
      sql`select sender_id, count(*)::int as n from api_keys where revoked_at is null group by 1`,
    ),
  ]);
  const byId = new Map(counts.rows.map((r) => [r.sender_id, r.n]));
  return senders.map((s) => ({ ...senderView(s), active_keys: byId.get(s.id) ?? 0 }));
}
