import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where the generated session secret lives: beside the embedded database's folder. */
export function secretPath(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'console-auth-secret');
}

/** The secret from the data folder, created (mode 0600) when missing. Never logged. */
export function ensureSecretFile(dataDir: string): string {
  const path = secretPath(dataDir);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return secret;
}

export function readSecretFile(dataDir: string): string | undefined {
  const path = secretPath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
