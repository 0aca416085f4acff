import type { DbOrTx } from '@koukan/db';
import {
  getSecretRow,
  insertSecret,
  recordAudit,
  replaceSecret,
  type SecretInfo,
} from '@koukan/db';
import type { ServiceContext } from '../context.ts';
import { fieldError } from '../errors.ts';
import { requireKey, sealSecret } from './cipher.ts';

/**
 * Stores a secret inside the caller's transaction: `create` refuses an existing name, `rotate`
 * a missing one, `set` does either. Audited with the name and version, never the value.
 */
export async function writeSecret(
  ctx: ServiceContext,
  tx: DbOrTx,
  mode: 'create' | 'rotate' | 'set',
  name: string,
  value: string,
): Promise<SecretInfo & { created: boolean }> {
  const sealed = sealSecret(requireKey(ctx.secretKey), name, value);
  const exists = Boolean(await getSecretRow(tx, name));
  if (exists && mode === 'create') {
    throw fieldError('conflict', `a secret named "${name}" exists`, 'name', 'already exists');
  }
  if (!exists && mode === 'rotate') {
    throw fieldError('not_found', `no secret named "${name}"`, 'name', 'no such secret');
  }
  const info = exists
    ? await replaceSecret(tx, name, sealed)
    : await insertSecret(tx, name, sealed);
  await recordAudit(tx, {
    actor: ctx.actor,
    action: exists ? 'secret.rotate' : 'secret.create',
    entityType: 'secret',
    entityId: name,
    details: { name, version: info!.version, key_id: info!.keyId },
  });
  return { ...info!, created: !exists };
}
