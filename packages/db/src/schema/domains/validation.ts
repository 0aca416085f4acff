import { z } from 'zod';

/** A sending domain: lower-case LDH labels (IDNs as A-labels), at least two, ≤ 253 characters. */
export const domainNameSchema = z
  .string()
  .max(253)
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .regex(
        /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/,
        'a domain name such as example.com (letters, digits and "-", at least two labels)',
      ),
  );

const mailtoSchema = z
  .string()
  .regex(/^mailto:[^\s;,!@]+@[a-z0-9.-]+$/i, 'a report address such as mailto:dmarc@example.com');
const hostSchema = z
  .string()
  .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'a host name such as mx.example.com');

/** What the records to publish say besides the DKIM keys; absent parts take the defaults. */
export const domainSettingsSchema = z.strictObject({
  /** SPF: `v=spf1 <mechanisms> <all>`; default `mx ~all` (the domain's MX hosts send). */
  spf: z
    .strictObject({
      mechanisms: z
        .array(z.string().regex(/^[+?~-]?[a-z0-9][a-z0-9:./_%{}-]*$/i, 'an SPF mechanism'))
        .default(['mx']),
      all: z.enum(['~all', '-all', '?all']).default('~all'),
    })
    .optional(),
  /** DMARC: `v=DMARC1; p=<policy>[; rua=…]`; default policy `none` (monitor first). */
  dmarc: z
    .strictObject({
      policy: z.enum(['none', 'quarantine', 'reject']).default('none'),
      rua: z.array(mailtoSchema).default([]),
    })
    .optional(),
  /** MTA-STS (RFC 8461), published only when set. */
  mta_sts: z
    .strictObject({
      mode: z.enum(['testing', 'enforce', 'none']).default('testing'),
      mx: z.array(hostSchema).min(1),
      max_age: z.number().int().min(86400).max(31557600).default(604800),
    })
    .optional(),
  /** SMTP TLS reporting (RFC 8460), published only when set. */
  tls_rpt: z.strictObject({ rua: z.array(mailtoSchema).min(1) }).optional(),
});
export type DomainSettings = z.input<typeof domainSettingsSchema>;

export const dkimAlgorithmSchema = z.enum(['rsa-sha256', 'ed25519-sha256']);

/** Secret names: what chains and domains refer to (`private_key_ref`, `api_key_ref`). */
export const secretNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._/-]{0,127}$/i,
    'letters, digits, ".", "_", "-" and "/", at most 128, starting with a letter or digit',
  );
