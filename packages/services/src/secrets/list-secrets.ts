import { listSecretInfo, type SecretInfo } from '@koukan/db';
import type { ServiceCall } from '../context.ts';

/** Every secret's name, version, key fingerprint and dates; never a value. */
export function listSecrets({
  ctx,
}: ServiceCall<Record<string, never> | undefined>): Promise<SecretInfo[]> {
  return listSecretInfo(ctx.db);
}
