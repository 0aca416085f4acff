import type { DkimKeyStore, SecretStore } from '@koukan/chain';
import { type Db, listSecretInfo } from '@koukan/db';
import { createDkimKeyStore, createSecretStore, loadSecretKey } from '@koukan/services';
import type { Logger } from 'pino';
import type { RouterEnv } from '../env.ts';

/**
 * The chains' `secrets` and `dkimKeys` ports: KOUKAN_SECRET_<REF> variables first, then the
 * database's encrypted secrets under the secrets key (KOUKAN_SECRETS_KEY or its file). Stored
 * secrets that this key cannot open are reported at start, loudly; each use then fails with
 * the same reason (the message is deferred, not sent with a wrong or missing signature).
 */
export async function secretPorts(
  db: Db,
  env: RouterEnv,
  logger: Logger,
): Promise<{ secrets: SecretStore; dkimKeys: DkimKeyStore }> {
  const key = loadSecretKey({ value: env.KOUKAN_SECRETS_KEY, file: env.KOUKAN_SECRETS_KEY_FILE });
  const stored = await listSecretInfo(db);
  const foreign = stored.filter((s) => s.keyId !== key?.id).map((s) => s.name);
  if (foreign.length > 0) {
    logger.error(
      {
        secrets: foreign,
        key_id: key?.id ?? null,
        stored_key_ids: [...new Set(stored.map((s) => s.keyId))],
      },
      key
        ? 'stored secrets were encrypted with another secrets key: set KOUKAN_SECRETS_KEY (or KOUKAN_SECRETS_KEY_FILE) to that key; mail that needs them is deferred'
        : 'no secrets key (KOUKAN_SECRETS_KEY or KOUKAN_SECRETS_KEY_FILE): stored secrets cannot be read; mail that needs them is deferred',
    );
  } else if (key) logger.info({ key_id: key.id, secrets: stored.length }, 'secret store ready');
  return {
    secrets: createSecretStore({ db, key, env: env.secrets }),
    dkimKeys: createDkimKeyStore({ db, key }),
  };
}
