import { z } from 'zod';
import { inlineSecretRefused, secretRefSchema } from '../schema-common.ts';

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
      /** refused: keys live in the secret store */
      private_key: inlineSecretRefused('private_key_ref'),
      private_key_ref: secretRefSchema,
    })
    .optional(),
  /** minimum DKIM/ARC key size in bits */
  min_bit_length: z.int().min(512).default(1024),
});
