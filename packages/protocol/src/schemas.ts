import { z } from 'zod';

/**
 * The transaction protocol on the wire (DESIGN.md §6), spoken by the router's API, the gateway's
 * outbound API and every client of them (the gateway's router client, `rest_output`). Servers
 * refine these shapes with their own rules (mailbox syntax, DSN parameters); clients read
 * responses through them.
 */

/** An SMTP reply as the protocol carries it: the code, the enhanced code apart, the text. */
export const smtpResponseSchema = z
  .object({
    code: z.number().int(),
    enhanced: z.string().optional().meta({ description: 'RFC 3463 status code, e.g. 5.1.1' }),
    message: z.string().meta({ description: 'the text after the enhanced status code' }),
  })
  .meta({ id: 'SmtpResponse' });
export type SmtpResponse = z.infer<typeof smtpResponseSchema>;

/** The reply's text after the code, as sent on the wire: `5.1.1 no such user`. */
export const replyText = (r: SmtpResponse): string =>
  r.enhanced ? `${r.enhanced} ${r.message}`.trimEnd() : r.message;

export const esmtpParamSchema = z.object({ k: z.string(), p: z.string().optional() });
export type EsmtpParam = z.infer<typeof esmtpParamSchema>;

/** A mailbox with its ESMTP parameters: `{"m": "bob@example.org", "e": [{"k": "NOTIFY", …}]}`. */
export const mailboxSchema = z.object({ m: z.string(), e: z.array(esmtpParamSchema).optional() });
export type Mailbox = z.infer<typeof mailboxSchema>;

/** An ESMTP parameter as a server takes it: a keyword and an optional value. */
export const esmtpParamInputSchema = z.object({
  k: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'an ESMTP keyword'),
  p: z.string().max(1024).optional(),
});

export const mailboxInputSchema = z.object({
  m: z.string(),
  e: z.array(esmtpParamInputSchema).max(16).optional(),
});

export const remoteHostSchema = z.object({
  host: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._:[\]-]+$/, 'a host name or an IP address'),
  port: z.number().int().min(1).max(65535),
});
/** A next hop as the gateway's outbound API takes it; every producer of one gives its port. */
export type RemoteHost = z.infer<typeof remoteHostSchema>;

/**
 * The largest RFC 5322 header section any way in accepts: the gateway's default
 * (`KOUKAN_SMTP_MAX_HEADER_BYTES`, `552 5.3.4` at SMTP), the router's uploads and creates
 * (`413`) and the console's dry run. It bounds what the parsing filters read, and with it the
 * number of header lines (a line takes at least two bytes).
 */
export const MAX_HEADER_BYTES = 256 * 1024;

/**
 * Follows a message's bytes in order, chunk by chunk, in constant memory: answers false once the
 * header section (up to the empty line) is over `max` bytes, true otherwise.
 */
export function headerSectionLimit(max = MAX_HEADER_BYTES): (chunk: Uint8Array) => boolean {
  let size = 0;
  let lineLength = 0;
  let ended = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length && !ended; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        ended = lineLength === 0;
        lineLength = 0;
      } else if (b !== 0x0d) lineLength++;
      if (++size > max) return false;
    }
    return true;
  };
}

/**
 * The create of an output hop (`rest_output` → the gateway's outbound API): the envelope, the
 * next hops to try in order (else the hop's default), and a small body inline or none (PUT).
 * Servers add their own address rules.
 */
export const outboundCreateSchema = z.object({
  mail_from: mailboxInputSchema,
  rcpt_to: z.array(mailboxInputSchema).min(1).max(1000),
  remote_hosts: z.array(remoteHostSchema).min(1).max(32).optional(),
  lmtp: z.boolean().optional(),
  body: z.object({ inline: z.string() }).optional(),
});

/**
 * What every implementation answers for a transaction (create, GET, PATCH, cancel): its id,
 * status and the SMTP responses known so far. Implementations add their own fields.
 */
export const transactionSchema = z.object({
  id: z.string(),
  status: z.string(),
  mail_from: mailboxSchema,
  rcpt_to: z.array(mailboxSchema),
  mail_response: smtpResponseSchema.nullable(),
  rcpt_response: z.array(smtpResponseSchema.nullable()),
  data_response: smtpResponseSchema.nullable(),
  attempt_count: z.number().int(),
  final_attempt_reason: z.string().nullable(),
});

/** A transaction as a client reads it: only the id is certain, unknown fields are kept. */
export const transactionReplySchema = z.looseObject({
  ...transactionSchema.partial().shape,
  id: z.string(),
});
export type ProtocolTransaction = z.infer<typeof transactionReplySchema>;

/** The body of every 4xx and 5xx response. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. bad_request, not_found.'),
      message: z.string().describe('What went wrong, for a person.'),
      details: z
        .array(
          z.object({
            field: z.string().optional().describe('The offending field, e.g. body.rcpt_to[0].m.'),
            message: z.string(),
          }),
        )
        .describe('One entry per offending field.'),
      size: z.number().int().optional().describe('416/408: bytes stored so far.'),
      expected_size: z.number().int().nullable().optional(),
      version: z.number().int().optional().describe('412: the current version.'),
      rcpt_response: z
        .array(smtpResponseSchema.nullable())
        .optional()
        .describe('422 "no recipient accepted": the reply to each recipient.'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type ErrorDetail = ErrorBody['error']['details'][number];

/** `rcpt_to[0].m` from a zod issue path, prefixed with where the value came from. */
export function fieldPath(path: readonly PropertyKey[], prefix?: string): string {
  const p = path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`))
    .join('');
  if (!prefix) return p;
  return p ? `${prefix}.${p}`.replace('.[', '[') : prefix;
}

/** One error detail per zod issue. */
export function issuesToDetails(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix?: string,
): ErrorDetail[] {
  return issues.map((i) => ({ field: fieldPath(i.path, prefix), message: i.message }));
}
