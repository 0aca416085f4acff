import { listSecretInfo } from '@koukan/db';
import type { ServiceCall } from '../context.ts';

/** The names of the stored secrets, for the chain editor's pickers: never a value. */
export async function chainSecretNames({ ctx }: ServiceCall<unknown>): Promise<string[]> {
  return (await listSecretInfo(ctx.db)).map((s) => s.name).sort();
}
