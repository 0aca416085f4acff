import type { SecretStore } from '@koukan/chain';
import type { DbOrTx } from '@koukan/db';
import type { SecretKey } from './cipher.ts';
import { readSecret } from './read-secret.ts';

/** `dkim/example.com` → `KOUKAN_SECRET_DKIM_EXAMPLE_COM`. */
function secretEnvName(ref: string): string {
  return `KOUKAN_SECRET_${ref.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The chains' `secrets` port: a `KOUKAN_SECRET_<REF>` variable when the environment has one
 * (per-process credentials such as the gateway token `npm start` makes), else the database's
 * encrypted secret of that name. Decrypted values are kept `ttlMs` (default 5 s), so a rotation
 * reaches running routers within that; a secret that cannot be decrypted (wrong key) throws —
 * the filter answers a temporary failure and the error is logged, never a wrong signature.
 */
export function createSecretStore(options: {
  db: DbOrTx;
  key: SecretKey | undefined;
  env?: ReadonlyMap<string, string>;
  ttlMs?: number;
  now?: () => number;
}): SecretStore & { clear(): void } {
  const ttl = options.ttlMs ?? 5000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<string | undefined> }>();
  return {
    get(ref) {
      const fromEnv = options.env?.get(secretEnvName(ref));
      if (fromEnv !== undefined) return fromEnv;
      const hit = cache.get(ref);
      if (hit && now() - hit.at < ttl) return hit.value;
      const value = readSecret(options.db, options.key, ref);
      cache.set(ref, { at: now(), value });
      value.catch(() => cache.delete(ref));
      return value;
    },
    clear: () => cache.clear(),
  };
}
