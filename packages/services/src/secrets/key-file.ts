import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSecretKeyText, parseSecretKey, type SecretKey } from './cipher.ts';

/**
 * The secrets key from the environment's value, else from `file`; with `create`, a missing file
 * is generated (32 random bytes, base64, mode 0600 in a 0700 folder). Undefined when neither
 * exists and `create` is false. A malformed value is an error, never silently replaced.
 */
export function loadSecretKey(options: {
  value?: string | undefined;
  file?: string | undefined;
  create?: boolean;
}): SecretKey | undefined {
  if (options.value) return parseSecretKey(options.value);
  const file = options.file;
  if (!file) return undefined;
  if (!existsSync(file)) {
    if (!options.create) return undefined;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: two processes creating it at once cannot both win with different keys
    try {
      writeFileSync(file, `${generateSecretKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  chmodSync(file, 0o600);
  try {
    return parseSecretKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
