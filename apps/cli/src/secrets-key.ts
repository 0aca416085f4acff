import { dirname, join, resolve } from 'node:path';
import { loadSecretKey, type SecretKey } from '@koukan/services';
import type { CliEnv } from './env.ts';

/** Where the secret store's key file lives: KOUKAN_SECRETS_KEY_FILE, else beside the data folder. */
export function secretsKeyFile(env: CliEnv): string {
  return resolve(
    env.KOUKAN_SECRETS_KEY_FILE ?? join(dirname(resolve(env.KOUKAN_DATA_DIR)), 'secrets.key'),
  );
}

/**
 * The secret store's key: KOUKAN_SECRETS_KEY, else the key file — created (0600) when `create`
 * (first start, or the first command that stores a secret).
 */
export function cliSecretKey(env: CliEnv, create: boolean): SecretKey | undefined {
  return loadSecretKey({ value: env.KOUKAN_SECRETS_KEY, file: secretsKeyFile(env), create });
}
