import type { SecretInfo } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { type SecretInput, secretInputSchema } from './schemas.ts';
import { writeSecret } from './write.ts';

/** Creates the secret or rotates it (the CLI's `secret set`). */
export async function setSecret({
  ctx,
  input,
}: ServiceCall<SecretInput>): Promise<SecretInfo & { created: boolean }> {
  const { name, value } = parseInput(secretInputSchema, input);
  return ctx.db.transaction((tx) => writeSecret(ctx, tx, 'set', name, value));
}
