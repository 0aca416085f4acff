import { generateKeyPairSync } from 'node:crypto';
import { type DbOrTx, insertDomainKeys } from '@koukan/db';
import type { DomainKey } from '@koukan/db/schema';
import type { ServiceContext } from '../context.ts';
import { writeSecret } from '../secrets/write.ts';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';
export const DKIM_ALGORITHMS: DkimAlgorithm[] = ['rsa-sha256', 'ed25519-sha256'];

/** A new DKIM key pair: the private key as PKCS#8 PEM, the public key as its `p=` value. */
export function generateDkimKey(algorithm: DkimAlgorithm): { privateKey: string; p: string } {
  if (algorithm === 'rsa-sha256') {
    const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      // RFC 6376: the SubjectPublicKeyInfo, base64
      p: k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }
  const k = generateKeyPairSync('ed25519');
  return {
    privateKey: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // RFC 8463: the raw 32-byte public key (the tail of the SPKI DER), base64
    p: k.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64'),
  };
}

const letters = (i: number): string =>
  (i >= 26 ? letters(Math.floor(i / 26) - 1) : '') + String.fromCharCode(97 + (i % 26));

/**
 * Dated selectors for a new pair of keys: `k2026a` (RSA) and `e2026a` (Ed25519), the letter
 * the first one unused by the domain's keys that year (`k2026b` after a rotation).
 */
export function nextSelectors(
  existing: Pick<DomainKey, 'selector'>[],
  now: Date,
): Record<DkimAlgorithm, string> {
  const year = now.getUTCFullYear();
  const used = new Set(existing.map((k) => k.selector));
  for (let i = 0; ; i++) {
    const l = letters(i);
    if (!used.has(`k${year}${l}`) && !used.has(`e${year}${l}`)) {
      return { 'rsa-sha256': `k${year}${l}`, 'ed25519-sha256': `e${year}${l}` };
    }
  }
}

export const keySecretName = (domain: string, selector: string) => `dkim/${domain}/${selector}`;

/**
 * A new key of each algorithm under the next dated selectors, inside the caller's transaction:
 * the private keys stored as secrets, the public keys added to `domain`, signing from
 * `activeFrom`. Returns the new selectors.
 */
export async function addKeyPair(
  ctx: ServiceContext,
  tx: DbOrTx,
  domain: { id: string; name: string; keys: DomainKey[] },
  activeFrom: Date,
  now: Date,
): Promise<string[]> {
  const selectors = nextSelectors(domain.keys, now);
  const keys = [];
  for (const algorithm of DKIM_ALGORITHMS) {
    const { privateKey, p } = generateDkimKey(algorithm);
    const selector = selectors[algorithm];
    const secretName = keySecretName(domain.name, selector);
    await writeSecret(ctx, tx, 'create', secretName, privateKey);
    keys.push({ selector, algorithm, publicKey: p, secretName, activeFrom });
  }
  await insertDomainKeys(tx, domain.id, keys);
  return keys.map((k) => k.selector);
}

export type KeyState = 'pending' | 'active' | 'retiring' | 'retired';

/**
 * Where a key stands at `now`: `pending` (published, signs from `active_from`), `active` (the
 * newest started key of its algorithm: it signs), `retiring` (replaced; still published so
 * mail it signed verifies, until `retire_at`), `retired` (to be removed from DNS).
 */
export function keyState(key: DomainKey, all: DomainKey[], now: Date): KeyState {
  if (key.retireAt && key.retireAt <= now) return 'retired';
  if (key.activeFrom > now) return 'pending';
  const newer = all.some(
    (k) =>
      k !== key &&
      k.algorithm === key.algorithm &&
      k.activeFrom <= now &&
      !(k.retireAt && k.retireAt <= now) &&
      (k.activeFrom > key.activeFrom ||
        (k.activeFrom.getTime() === key.activeFrom.getTime() && k.createdAt > key.createdAt)),
  );
  return newer ? 'retiring' : 'active';
}
