import type { SecretInfo } from '@koukan/db';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { type SecretInput, secretInputSchema } from './schemas.ts';
import { writeSecret } from './write.ts';

/** A new value for an existing secret (the version increments); `not_found` when missing. */
export async function rotateSecret({ ctx, input }: ServiceCall<SecretInput>): Promise<SecretInfo> {
  const { name, value } = parseInput(secretInputSchema, input);
  const { created: _c, ...info } = await ctx.db.transaction((tx) =>
    writeSecret(ctx, tx, 'rotate', name, value),
  );
  return info;
}
