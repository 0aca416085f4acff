import { z } from 'zod';

export const authCheckSchema = z.strictObject({
  /** authserv-id in Authentication-Results (defaults to the context hostname) */
  authserv_id: z.string().min(1).optional(),
  /** SPF and DKIM always run; DMARC and ARC can be switched off */
  dmarc: z.boolean().default(true),
  arc: z.boolean().default(true),
  /** ARC-seal the message (RSA key) after checking, when the incoming chain is valid */
  arc_seal: z
    .strictObject({
      domain: z.string().min(1),
      selector: z.string().min(1),
      private_key: z.string().min(1).optional(),
      private_key_ref: z.string().min(1).optional(),
    })
    .refine((k) => Boolean(k.private_key) !== Boolean(k.private_key_ref), {
      error: 'give exactly one of private_key or private_key_ref',
      path: ['private_key'],
    })
    .optional(),
  /** minimum DKIM/ARC key size in bits */
  min_bit_length: z.int().min(512).default(1024),
});
export type AuthCheckConfig = z.output<typeof authCheckSchema>;
