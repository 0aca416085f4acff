import type { DkimKeyStore, DkimSigningKey } from '@koukan/chain';
import { type DbOrTx, listDomains } from '@koukan/db';
import type { DomainKey } from '@koukan/db/schema';
import type { SecretKey } from '../secrets/cipher.ts';
import { readSecret } from '../secrets/read-secret.ts';
import { keyState } from './keys.ts';

/** `a.b.example.com` → itself and its parents down to two labels. */
function withParents(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/**
 * The `dkimKeys` port of the chains: for a From: (or envelope) domain, the active keys of the
 * configured domain that is it or its closest parent, private keys decrypted from the secret
 * store. Answers are kept `ttlMs` (default 5 s): a rotation or a new domain reaches running
 * routers within that. A key whose secret is missing or cannot be decrypted is an error (the
 * message is deferred, never signed wrongly or silently sent unsigned).
 */
export function createDkimKeyStore(options: {
  db: DbOrTx;
  key: SecretKey | undefined;
  ttlMs?: number;
  now?: () => Date;
  /** the private key of a key; default: its secret, decrypted with `key` (a dry run passes
   * throwaway keys instead, so it never reads the real ones) */
  privateKeyOf?: (k: DomainKey) => Promise<string | undefined>;
}): DkimKeyStore & { clear(): void } {
  const ttl = options.ttlMs ?? 5000;
  const now = options.now ?? (() => new Date());
  type Answer = { domain: string; keys: DkimSigningKey[] } | undefined;
  const cache = new Map<string, { at: number; value: Promise<Answer> }>();

  async function load(domain: string): Promise<Answer> {
    const names = withParents(domain);
    const rows = await listDomains(options.db, names);
    const d = names.map((n) => rows.find((r) => r.name === n)).find(Boolean);
    if (!d) return undefined;
    const at = now();
    const keys: DkimSigningKey[] = [];
    for (const k of d.keys.filter((k) => keyState(k, d.keys, at) === 'active')) {
      const privateKey = options.privateKeyOf
        ? await options.privateKeyOf(k)
        : await readSecret(options.db, options.key, k.secretName);
      if (!privateKey) {
        throw new Error(
          `secret "${k.secretName}" of DKIM key ${k.selector}._domainkey.${d.name} is missing`,
        );
      }
      keys.push({ domain: d.name, selector: k.selector, algorithm: k.algorithm, privateKey });
    }
    return { domain: d.name, keys };
  }

  return {
    keysFor(domain) {
      const key = domain.toLowerCase();
      const hit = cache.get(key);
      const t = now().getTime();
      if (hit && t - hit.at < ttl) return hit.value;
      const value = load(key);
      cache.set(key, { at: t, value });
      value.catch(() => cache.delete(key));
      return value;
    },
    clear: () => cache.clear(),
  };
}
