import { type DbOrTx, getSecretRow } from '@koukan/db';
import { openSecret, requireKey, type SecretKey } from './cipher.ts';

/**
 * A secret's value, for the processes that use it (the delivery engine's filters). Undefined
 * when no secret has that name; an error when it cannot be decrypted with `key`. Not a service
 * for callers outside the system: nothing shows a secret's value to a user.
 */
export async function readSecret(
  db: DbOrTx,
  key: SecretKey | undefined,
  name: string,
): Promise<string | undefined> {
  const row = await getSecretRow(db, name);
  if (!row) return undefined;
  return openSecret(requireKey(key), name, row);
}
