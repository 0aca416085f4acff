import { z } from 'zod';
import { domainSchema } from '../schema-common.ts';

const dkimKeySchema = z
  .strictObject({
    /** signing domain (d=) */
    domain: domainSchema,
    /** selector (s=) */
    selector: z.string().min(1),
    algorithm: z.enum(['rsa-sha256', 'ed25519-sha256']).default('rsa-sha256'),
    /** PEM private key inline (prefer `private_key_ref`) */
    private_key: z.string().min(1).optional(),
    /** reference resolved through the secrets port */
    private_key_ref: z.string().min(1).optional(),
    /** `from_domain`: sign only when the From: domain is the key's domain or below it */
    when: z.enum(['from_domain', 'always']).default('from_domain'),
  })
  .refine((k) => Boolean(k.private_key) !== Boolean(k.private_key_ref), {
    error: 'give exactly one of private_key or private_key_ref',
    path: ['private_key'],
  });

export const dkimSignSchema = z.strictObject({
  keys: z.array(dkimKeySchema).min(1),
  canonicalization: z
    .enum(['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'])
    .default('relaxed/relaxed'),
  /** header fields to sign (lower-case names); mailauth's default list when absent */
  header_list: z.array(z.string().min(1)).optional(),
  /** answer a temporary failure when no key matches (otherwise pass unsigned) */
  require_signature: z.boolean().default(false),
});
export type DkimSignConfig = z.output<typeof dkimSignSchema>;
