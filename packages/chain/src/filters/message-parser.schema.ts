import { z } from 'zod';

export const messageParserSchema = z.strictObject({
  /** parts up to this many bytes stay inline in the JSON; larger ones become blobs */
  inline_limit: z
    .int()
    .min(0)
    .default(64 * 1024),
  /** refuse messages above this size (bytes) */
  max_size: z
    .int()
    .positive()
    .default(50 * 1024 * 1024),
});
