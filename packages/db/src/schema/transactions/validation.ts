import { z } from 'zod';

export const esmtpParamSchema = z.strictObject({
  k: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'an ESMTP keyword'),
  p: z.string().optional(),
});

/** A mailbox as it travels between hops: the address and its ESMTP parameters. */
export const mailboxSchema = z.strictObject({
  m: z.string(),
  e: z.array(esmtpParamSchema).optional(),
});
export type Mailbox = z.infer<typeof mailboxSchema>;

export const smtpResponseSchema = z.strictObject({
  code: z.number().int().min(200).max(599),
  message: z.string(),
});
export type SmtpResponse = z.infer<typeof smtpResponseSchema>;
