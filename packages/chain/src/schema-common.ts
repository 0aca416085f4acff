import { type RemoteHost, remoteHostSchema } from '@koukan/protocol/schemas';
import { z } from 'zod';

/**
 * `host:port` or `host` (port defaults elsewhere); IPv6 literals as `[::1]:25`. What it names
 * is a next hop the gateway's outbound API takes (the protocol's `remoteHostSchema`).
 */
export const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, {
    error: 'expected host or host:port',
    abort: true,
  })
  .refine((v) => remoteHostSchema.safeParse(parseHostPort(v, 25)).success, {
    error: 'expected a host name or address and a port from 1 to 65535',
  });

export function parseHostPort(value: string, defaultPort: number): RemoteHost {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(value);
  if (!m) throw new Error(`bad host:port ${value}`);
  return { host: (m[1] ?? m[2])!, port: m[3] ? Number(m[3]) : defaultPort };
}

/** A configurable SMTP response. */
export const smtpResponseSchema = z.strictObject({
  code: z.int().min(200).max(599),
  enhanced: z
    .string()
    .regex(/^[245]\.\d{1,3}\.\d{1,3}$/, { error: 'expected an enhanced status code like 5.7.1' })
    .optional(),
  message: z.string().min(1),
});

/** A duration in seconds. */
export const secondsSchema = z.number().positive();

export const domainSchema = z
  .string()
  .min(1)
  .regex(/^\.?[A-Za-z0-9_*-]+(\.[A-Za-z0-9_-]+)*\.?$/, { error: 'expected a domain name' });

/**
 * A key written inline in a chain (`private_key`, `api_key`) is refused: chains are exported,
 * versioned and shown in the console, so secrets live in the secret store and chains name them.
 */
export const inlineSecretRefused = (refKey: string) =>
  z
    .unknown()
    .optional()
    .refine((v) => v === undefined, {
      error: `inline secrets are refused: store the value as a secret (npm run koukan -- secret set <name>) and give ${refKey}: <name>`,
    });

/** The name of a secret in the secret store. */
export const secretRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]{0,127}$/i, { error: 'a secret name (letters, digits, . _ - /)' })
  // The console's editor offers a picker of stored secret names for such fields.
  .meta({ secret_ref: true });
