import { schema } from '@koukan/db';
import { asc } from 'drizzle-orm';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';

export const senderOptionsInputSchema = z.strictObject({}).default({});
export type SenderOptionsInput = z.input<typeof senderOptionsInputSchema>;

export interface SenderOption {
  id: string;
  name: string;
  enabled: boolean;
}

/** Every sender's name, for the list's sender filter. */
export async function listSenderOptions({
  ctx,
  input,
}: ServiceCall<SenderOptionsInput>): Promise<SenderOption[]> {
  parseInput(senderOptionsInputSchema, input ?? {});
  const s = schema.senders;
  return ctx.db.select({ id: s.id, name: s.name, enabled: s.enabled }).from(s).orderBy(asc(s.name));
}
