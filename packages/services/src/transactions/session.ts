import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from '../errors.ts';

/**
 * The SMTP session facts of a transaction (client address, HELO, TLS, authenticated identity).
 * Filters trust them: `received_header` writes them into a trace header, `auth_check` checks SPF
 * against them, `policy` matches `client_cidr` and `authenticated`. So only the gateway's own
 * credential (a gateway key) may set them, and they are validated whoever sets them: an IP
 * literal, HELO a domain or an address literal, tokens without spaces or control characters.
 */

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/** A host name as a client may give it (letters, digits, `-`, `_`, dots), ≤ 255 octets. */
export function isDomainName(value: string): boolean {
  return value.length <= 255 && DOMAIN.test(value);
}

/** RFC 5321 address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`. */
function isAddressLiteral(value: string): boolean {
  const m = /^\[(IPv6:)?([^\]]+)\]$/i.exec(value);
  if (!m) return false;
  return m[1] ? isIP(m[2]!) === 6 : isIP(m[2]!) === 4;
}

/** What HELO/EHLO may say: a domain or an address literal. */
export function isHeloName(value: string): boolean {
  return isDomainName(value) || isAddressLiteral(value);
}

/** Printable ASCII without spaces: protocol names, TLS versions and ciphers, SASL names. */
const token = (max: number, what: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, `${what}: printable ASCII, no spaces or control characters`);

export const sessionSchema = z
  .strictObject({
    remote_ip: z
      .string()
      .max(64)
      .refine((v) => isIP(v) !== 0, 'an IPv4 or IPv6 address literal')
      .optional(),
    remote_port: z.number().int().min(0).max(65535).optional(),
    remote_host: z.string().refine(isDomainName, 'a domain name').optional(),
    helo: z
      .string()
      .refine(isHeloName, 'a domain or an address literal ([192.0.2.1], [IPv6:…])')
      .optional(),
    local_host: z.string().refine(isDomainName, 'a domain name').optional(),
    protocol: z
      .string()
      .regex(/^[A-Za-z0-9]{1,16}$/, 'a protocol name such as ESMTPSA')
      .optional(),
    tls: z
      .strictObject({
        protocol: token(32, 'a TLS version').optional(),
        cipher: token(128, 'a cipher name').optional(),
        bits: z.number().int().nonnegative().max(65536).optional(),
      })
      .optional(),
    auth: z
      .strictObject({
        user: token(255, 'a sender name'),
        method: token(32, 'a SASL mechanism').optional(),
      })
      .optional(),
  })
  .describe(
    'The SMTP session this transaction arrived on. Set by the SMTP gateway with its own credential (a gateway key); any other key gets 403.',
  );
export type SessionFacts = z.infer<typeof sessionSchema>;

/** 403 naming `body.session` unless the caller presented a gateway key. */
export function assertSessionAllowed(session: unknown, gatewayKey: boolean): void {
  if (session === undefined || gatewayKey) return;
  throw new AppError(
    'forbidden',
    'only the SMTP gateway’s own credential (a gateway key) may set "session"',
    { details: [{ field: 'body.session', message: 'not allowed for this API key' }] },
  );
}
