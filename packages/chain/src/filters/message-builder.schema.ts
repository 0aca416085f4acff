import { z } from 'zod';

export const messageBuilderFilterSchema = z.strictObject({
  /** domain for generated Message-IDs (defaults to the context hostname) */
  message_id_domain: z.string().min(1).optional(),
  /** keep Bcc in the built headers (normally dropped) */
  keep_bcc: z.boolean().default(false),
});
