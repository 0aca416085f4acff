import { z } from 'zod';

export const receivedHeaderSchema = z.strictObject({
  /** our host name in `by` (defaults to the context hostname) */
  hostname: z.string().min(1).optional(),
  /** include the AUTH identity in a comment */
  include_auth: z.boolean().default(true),
});
