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

/**
 * An SMTP reply as it travels and is stored: the code, the enhanced status code (RFC 3463)
 * apart, and the text after it. Parsed once where a reply arrives as text (the gateway's SMTP
 * client); never parsed back out of `message`. A row written before migration 0019 that the
 * migration could not split has no `enhanced` and keeps its text whole.
 */
export const smtpResponseSchema = z.strictObject({
  code: z.number().int().min(200).max(599),
  enhanced: z
    .string()
    .regex(/^[245]\.\d{1,3}\.\d{1,3}$/)
    .optional(),
  message: z.string(),
});
export type SmtpResponse = z.infer<typeof smtpResponseSchema>;

/** The reply's text as sent on the wire after the code: `5.1.1 no such user`. */
export const replyText = (r: { enhanced?: string | undefined; message: string }): string =>
  r.enhanced ? `${r.enhanced} ${r.message}`.trimEnd() : r.message;

/** The whole reply line: `550 5.1.1 no such user`. */
export const replyLine = (r: SmtpResponse): string => `${r.code} ${replyText(r)}`.trimEnd();
