import { z } from 'zod';
import { domainSchema, inlineSecretRefused, secretRefSchema } from '../schema-common.ts';

const dkimKeySchema = z.strictObject({
  /** signing domain (d=) */
  domain: domainSchema,
  /** selector (s=) */
  selector: z.string().min(1),
  algorithm: z.enum(['rsa-sha256', 'ed25519-sha256']).default('rsa-sha256'),
  /** refused: keys live in the secret store */
  private_key: inlineSecretRefused('private_key_ref'),
  /** the private key (PEM), resolved through the secrets port */
  private_key_ref: secretRefSchema,
  /** `from_domain`: sign only when the From: domain is the key's domain or below it */
  when: z.enum(['from_domain', 'always']).default('from_domain'),
});

export const dkimSignSchema = z.strictObject({
  /**
   * explicit keys; absent: the keys of the sending domains (the From: domain, and the envelope
   * sender's when it differs), through the `dkimKeys` port
   */
  keys: z.array(dkimKeySchema).min(1).optional(),
  canonicalization: z
    .enum(['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'])
    .default('relaxed/relaxed'),
  /** header fields to sign (lower-case names); mailauth's default list when absent */
  header_list: z.array(z.string().min(1)).optional(),
  /** answer a temporary failure when no key matches (otherwise pass unsigned) */
  require_signature: z.boolean().default(false),
});
export type DkimSignConfig = z.output<typeof dkimSignSchema>;
