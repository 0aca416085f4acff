import { schema } from '@koukan/db';
import { z } from 'zod';

/** Inputs and outputs of the transaction list, shared by the console (tRPC) and REST. */

const LIST_LIMIT_MAX = 200;
const LIST_LIMIT_DEFAULT = 50;

const transactionStatusSchema = z.enum(schema.transactionStatuses);

const text = (max: number) => z.string().trim().min(1).max(max);

/**
 * Filters of the transaction list. Every filter is optional; given together they all apply.
 * Prefix filters are case-insensitive; `message_id` is exact (angle brackets optional).
 */
const transactionFiltersSchema = z.strictObject({
  status: z
    .union([transactionStatusSchema, z.array(transactionStatusSchema).min(1).max(6)])
    .optional()
    .describe('One status or several.'),
  sender: text(200).optional().describe('Sender name (exact).'),
  mail_from_prefix: text(320).optional().describe('Envelope sender starts with this.'),
  rcpt_prefix: text(320).optional().describe('A recipient address starts with this.'),
  rcpt_domain: text(255).optional().describe('A recipient address is at this domain (exact).'),
  message_id: text(998).optional().describe('Message-ID header, exact, with or without <>.'),
  final_reason: text(100).optional().describe('final_attempt_reason, exact.'),
  created_after: z.coerce.date().optional().describe('Created at or after (inclusive).'),
  created_before: z.coerce.date().optional().describe('Created before (exclusive).'),
});
export type TransactionFilters = z.infer<typeof transactionFiltersSchema>;

export const listTransactionsInputSchema = transactionFiltersSchema.extend({
  cursor: z.string().max(200).optional().describe('nextCursor of the previous page.'),
  limit: z.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
});
export type ListTransactionsInput = z.input<typeof listTransactionsInputSchema>;

export interface TransactionPage {
  items: TransactionSummary[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The same filters as URL query parameters (REST, `GET /v1/senders/{sender}/transactions`):
 * `status` repeated or comma-separated, `limit` as text. The sender comes from the path.
 */
export const listTransactionsQuerySchema = z.strictObject({
  status: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? undefined : [v].flat().flatMap((s) => s.split(','))))
    .pipe(z.array(transactionStatusSchema).min(1).max(6).optional())
    .describe('One or several statuses, repeated or comma-separated.'),
  mail_from_prefix: transactionFiltersSchema.shape.mail_from_prefix,
  rcpt_prefix: transactionFiltersSchema.shape.rcpt_prefix,
  rcpt_domain: transactionFiltersSchema.shape.rcpt_domain,
  message_id: transactionFiltersSchema.shape.message_id,
  final_reason: transactionFiltersSchema.shape.final_reason,
  created_after: z.iso.datetime({ offset: true }).optional().describe('ISO 8601, inclusive.'),
  created_before: z.iso.datetime({ offset: true }).optional().describe('ISO 8601, exclusive.'),
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT_MAX).default(LIST_LIMIT_DEFAULT),
});
export type ListTransactionsQuery = z.infer<typeof listTransactionsQuerySchema>;

/**
 * One row of the list, as the console and the REST API (snake_case, as the rest of the API;
 * timestamps ISO 8601) both answer it; the schema is the OpenAPI output's.
 */
const transactionSummarySchema = z.object({
  id: z.string(),
  sender: z.string(),
  mail_from: z.string().describe('The envelope sender ("" for the null reverse path).'),
  recipients: z.array(z.string()),
  status: transactionStatusSchema,
  attempt_count: z.number().int(),
  final_attempt_reason: z.string().nullable(),
  latest_reply: z
    .object({
      code: z.number().int(),
      /** The enhanced status code (e.g. `5.1.1`) when the reply text starts with one. */
      enhanced: z.string().nullable(),
      text: z.string(),
    })
    .nullable()
    // a refused MAIL, else the first refused recipient, else DATA's (see latestReply)
    .describe('The most telling SMTP reply of the latest attempt.'),
  message_id: z.string().nullable(),
  subject: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  next_attempt_at: z.string().nullable(),
  parent_id: z.string().nullable(),
});
export type TransactionSummary = z.infer<typeof transactionSummarySchema>;
export type SmtpReplySummary = NonNullable<TransactionSummary['latest_reply']>;

export const transactionListResponseSchema = z.object({
  items: z.array(transactionSummarySchema),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page.'),
});
export type TransactionListResponse = z.infer<typeof transactionListResponseSchema>;
