import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  key: string;
  cert: string;
  selfSigned: boolean;
}

/** The configured certificate and key, or a self-signed pair generated now (pure JS, no openssl). */
export async function loadTls(
  files: { certFile?: string; keyFile?: string },
  hostname: string,
  logger: Logger,
): Promise<TlsMaterial> {
  if (files.certFile && files.keyFile) {
    const [cert, key] = await Promise.all([
      readFile(files.certFile, 'utf8'),
      readFile(files.keyFile, 'utf8'),
    ]);
    logger.info({ certFile: files.certFile }, 'TLS certificate loaded');
    return { key, cert, selfSigned: false };
  }
  if (files.certFile || files.keyFile) {
    throw new Error('KOUKAN_TLS_CERT_FILE and KOUKAN_TLS_KEY_FILE go together');
  }
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: hostname }] }],
  });
  logger.warn(
    { hostname, fingerprint: pems.fingerprint },
    'no TLS certificate configured: using a self-signed certificate generated at start',
  );
  return { key: pems.private, cert: pems.cert, selfSigned: true };
}
