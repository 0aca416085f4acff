import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { SealedSecret } from '@koukan/db';
import { AppError } from '../errors.ts';

/**
 * The key that encrypts every secret: 32 bytes for AES-256-GCM, from KOUKAN_SECRETS_KEY or the
 * key file in the data folder. `id` is a fingerprint (HMAC of a fixed label), stored with each
 * secret so that a wrong key is reported as such; it reveals nothing about the key.
 */
export interface SecretKey {
  readonly id: string;
  /** @internal the raw key; never logged (toJSON hides it) */
  readonly bytes: Buffer;
}

export function secretKeyFromBytes(bytes: Buffer): SecretKey {
  if (bytes.length !== 32) throw new Error('the secrets key must be 32 bytes');
  const id = createHmac('sha256', bytes).update('koukan secrets key id').digest('hex').slice(0, 16);
  const key = { id, bytes: Buffer.from(bytes) };
  Object.defineProperty(key, 'toJSON', { value: () => ({ id }), enumerable: false });
  return key;
}

/** A key written as base64 (44 characters) or hex (64 characters) of 32 random bytes. */
export function parseSecretKey(text: string): SecretKey {
  const t = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== 32 || (!/^[0-9a-f]{64}$/i.test(t) && bytes.toString('base64') !== t)) {
    throw new Error(
      'the secrets key must be 32 random bytes written as base64 or hex (e.g. `openssl rand -base64 32`)',
    );
  }
  return secretKeyFromBytes(bytes);
}

export function generateSecretKeyText(): string {
  return randomBytes(32).toString('base64');
}

const aad = (name: string) => Buffer.from(`koukan-secret:v1:${name}`);

/** AES-256-GCM with a random 96-bit nonce; the secret's name is bound as associated data. */
export function sealSecret(key: SecretKey, name: string, value: string): SealedSecret {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce);
  cipher.setAAD(aad(name));
  const ciphertext = Buffer.concat([
    cipher.update(value, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return { keyId: key.id, nonce, ciphertext };
}

/**
 * Decrypts a stored secret. A secret made with another key, or altered in the database, is an
 * error that says which, never a wrong value.
 */
export function openSecret(key: SecretKey, name: string, sealed: SealedSecret): string {
  if (sealed.keyId !== key.id) {
    throw new AppError(
      'unavailable',
      `secret "${name}" was encrypted with secrets key ${sealed.keyId}, but the key in use is ${key.id}: ` +
        'set KOUKAN_SECRETS_KEY (or the key file) to the key it was made with',
    );
  }
  try {
    const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - 16);
    const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - 16);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, sealed.nonce);
    decipher.setAAD(aad(name));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new AppError(
      'unavailable',
      `secret "${name}" cannot be decrypted: it was altered or belongs to another name`,
      { cause },
    );
  }
}

/** The service context's key, or a clear error when none is configured. */
export function requireKey(key: SecretKey | undefined): SecretKey {
  if (!key) {
    throw new AppError(
      'unavailable',
      'no secrets key: set KOUKAN_SECRETS_KEY, or let `npm start` create the key file in the data folder',
    );
  }
  return key;
}
