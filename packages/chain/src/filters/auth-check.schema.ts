import { z } from 'zod';

export const authCheckSchema = z.strictObject({
  /** authserv-id in Authentication-Results (defaults to the context hostname) */
  authserv_id: z.string().min(1).optional(),
  /** SPF and DKIM always run; DMARC and ARC can be switched off */
  dmarc: z.boolean().default(true),
  arc: z.boolean().default(true),
  /** minimum DKIM/ARC key size in bits */
  min_bit_length: z.int().min(512).default(1024),
});
export type AuthCheckConfig = z.output<typeof authCheckSchema>;
