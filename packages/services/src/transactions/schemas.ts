import { schema } from '@koukan/db';
import { transactionSchema } from '@koukan/protocol/schemas';
import { z } from 'zod';
import {
  envidProblem,
  isDsnKeyword,
  notifyProblem,
  orcptProblem,
} from '../notifications/dsn-params.ts';
import { isValidEsmtpValue, mailboxProblem } from './address.ts';
import { dsnFieldsChecks, withDsnParams } from './dsn-fields.ts';
import { messageBuilderSchema } from './message-builder-schema.ts';
import { sessionSchema } from './session.ts';

export { sessionSchema };

/** Request and response shapes of the transaction API, shared by REST and tRPC. */

const esmtpParamSchema = z
  .strictObject({
    k: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'an ESMTP keyword'),
    p: z.string().max(1024).optional(),
  })
  .superRefine((e, issue) => {
    // DSN parameters (RFC 3461) carry xtext-decoded values, checked by their own rules with
    // the mailbox (dsn-fields.ts); every other value is a plain esmtp-value
    if (isDsnKeyword(e.k) || e.p === undefined || isValidEsmtpValue(e.p)) return;
    issue.addIssue({
      code: 'custom',
      path: ['p'],
      message: 'an ESMTP value: printable, no space, no "="',
    });
  })
  .describe(
    'An ESMTP parameter: keyword `k` and optional value `p`, e.g. {"k":"NOTIFY","p":"FAILURE"}. DSN parameters (NOTIFY, ORCPT, RET, ENVID) carry their xtext-decoded value.',
  );

/** A refinement whose issue is what `problem` finds wrong with the value (null: nothing). */
const noProblem =
  <T>(problem: (value: T) => string | null) =>
  (value: T, issue: z.core.$RefinementCtx<T>) => {
    const message = problem(value);
    if (message) issue.addIssue({ code: 'custom', message });
  };

const notifySchema = z
  .array(z.enum(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']))
  .min(1)
  .max(3)
  .superRefine(noProblem((v) => notifyProblem(v.join(','))))
  .describe(
    'RFC 3461 NOTIFY: when this recipient gets a DSN. ["NEVER"], or any of "SUCCESS", "FAILURE", "DELAY". Default (absent): failures only (delays too when the sender\'s notification policy has delay_without_notify). Same as the RCPT parameter NOTIFY; give one or the other.',
  )
  .meta({ examples: [['FAILURE', 'DELAY']] });

const orcptSchema = z
  .string()
  .superRefine(noProblem(orcptProblem))
  .describe(
    'RFC 3461 ORCPT: the original recipient as "addr-type;address" (decoded, not xtext), reported as Original-Recipient in DSNs. Same as the RCPT parameter ORCPT.',
  )
  .meta({ examples: ['rfc822;bob@example.org'] });

const envelopeDsnSchema = z
  .strictObject({
    ret: z
      .enum(['FULL', 'HDRS'])
      .optional()
      .describe(
        'RFC 3461 RET: a failure DSN returns the whole message (FULL, up to 10 MiB) or its header section (HDRS, the default).',
      ),
    envid: z
      .string()
      .superRefine(noProblem(envidProblem))
      .optional()
      .describe(
        'RFC 3461 ENVID: your identifier of this transaction (printable US-ASCII, at most 100 characters), returned as Original-Envelope-Id in every DSN.',
      ),
  })
  .describe(
    "Delivery status notification options of the transaction (the MAIL parameters RET and ENVID; give each either here or in mail_from.e). DSNs are sent to mail_from when the sender's notification policy is enabled.",
  )
  .meta({ id: 'TransactionDsn', examples: [{ ret: 'HDRS', envid: 'order-4711' }] });

const addressSchema = (allowNull: boolean) =>
  z.string().superRefine(noProblem((v) => (allowNull && v === '' ? null : mailboxProblem(v))));

export const recipientSchema = z
  .strictObject({
    m: addressSchema(false)
      .describe('A bare RFC 5321 mailbox, e.g. "bob@example.org".')
      .meta({ examples: ['bob@example.org'] }),
    e: z.array(esmtpParamSchema).max(16).optional(),
    notify: notifySchema.optional(),
    orcpt: orcptSchema.optional(),
  })
  .superRefine(dsnFieldsChecks('rcpt'))
  // stored as the RCPT parameters NOTIFY and ORCPT, as the SMTP gateway sends them
  .transform((r) => withDsnParams(r, { NOTIFY: r.notify?.join(','), ORCPT: r.orcpt }))
  .describe('A recipient mailbox with its ESMTP RCPT parameters and DSN options.');

export const reversePathSchema = z
  .strictObject({
    m: addressSchema(true)
      .describe('A bare mailbox, or "" for the null reverse path.')
      .meta({ examples: ['app@example.org'] }),
    e: z.array(esmtpParamSchema).max(16).optional(),
  })
  .superRefine(dsnFieldsChecks('mail'))
  .describe('The envelope sender with its ESMTP MAIL parameters.');

const bodyInputSchema = z.union([
  z.strictObject({ inline: z.string().describe('The complete RFC 822 message.') }),
  z.strictObject({
    reuse_uri: z
      .string()
      .min(1)
      .describe('`/v1/transactions/{id}/body` of an earlier transaction of the same sender.'),
  }),
  z.strictObject({ message_builder: messageBuilderSchema }),
]);
export type BodyInput = z.infer<typeof bodyInputSchema>;

const MAX_RECIPIENTS = 1000;

export const createTransactionRequestSchema = z
  .strictObject({
    mail_from: reversePathSchema,
    rcpt_to: z
      .array(recipientSchema)
      .max(MAX_RECIPIENTS)
      .default([])
      .describe('Recipients; may be empty when they are added later with PATCH.'),
    body: bodyInputSchema
      .optional()
      .describe('Omit to upload the message later with PUT /v1/transactions/{id}/body.'),
    dsn: envelopeDsnSchema.optional(),
    session: sessionSchema.optional(),
  })
  .superRefine((r, issue) => {
    for (const k of ['ret', 'envid'] as const) {
      if (r.dsn?.[k] === undefined) continue;
      if (r.mail_from.e?.some((e) => e.k.toUpperCase() === k.toUpperCase())) {
        issue.addIssue({
          code: 'custom',
          path: ['dsn', k],
          message: `given twice: also as ${k.toUpperCase()} in mail_from.e`,
        });
      }
    }
  })
  // stored as the MAIL parameters RET and ENVID, as the SMTP gateway sends them
  .transform(({ dsn, ...r }) => ({
    ...r,
    mail_from: withDsnParams(r.mail_from, { RET: dsn?.ret, ENVID: dsn?.envid }),
  }))
  .meta({
    id: 'CreateTransaction',
    examples: [
      {
        mail_from: { m: 'app@example.org' },
        rcpt_to: [{ m: 'bob@example.org', notify: ['FAILURE', 'DELAY'] }],
        dsn: { ret: 'HDRS', envid: 'order-4711' },
        body: {
          inline:
            'From: app@example.org\r\nTo: bob@example.org\r\nSubject: Hello\r\n\r\nHello Bob.\r\n',
        },
      },
    ],
  });
export type CreateTransactionRequest = z.output<typeof createTransactionRequestSchema>;

export const patchTransactionRequestSchema = z
  .strictObject({
    add_rcpt_to: z.array(recipientSchema).max(MAX_RECIPIENTS).optional(),
    heartbeat: z
      .boolean()
      .optional()
      .describe(
        'Marks the (incremental) sender as still alive; records heartbeat_at. Once a transaction has one, it fails with downstream_timeout if, while its body is incomplete, neither a heartbeat nor body bytes arrive for the router’s heartbeat timeout (default 30 min).',
      ),
  })
  .meta({ id: 'PatchTransaction', examples: [{ add_rcpt_to: [{ m: 'carol@example.org' }] }] });
export type PatchTransactionRequest = z.infer<typeof patchTransactionRequestSchema>;

const blobStatusSchema = z.enum(['awaiting_upload', 'uploading', 'finalized']);

export const blobViewSchema = z.object({
  create_id: z.string().optional(),
  uri: z.string(),
  status: blobStatusSchema,
  size: z.number().int(),
  expected_size: z.number().int().nullable(),
});
export type BlobView = z.infer<typeof blobViewSchema>;

export const bodyViewSchema = z
  .object({
    type: z.enum(['rfc822', 'message_builder']),
    status: blobStatusSchema.describe('finalized once every byte (and every blob) is uploaded'),
    rfc822: blobViewSchema.nullable().describe('The raw message, when type is rfc822.'),
    blobs: z.array(blobViewSchema).describe('The uploaded or reused parts of a built message.'),
  })
  .meta({ id: 'TransactionBody' });
export type BodyView = z.infer<typeof bodyViewSchema>;

/** The protocol's transaction (what every implementation answers) with the router's fields. */
export const transactionViewSchema = transactionSchema
  .extend({
    sender: z.string(),
    status: z.enum(schema.transactionStatuses),
    version: z.number().int().describe('Changes on every update; the ETag is "<version>".'),
    body: bodyViewSchema,
    next_attempt_at: z.string().nullable(),
    cancel_requested_at: z.string().nullable(),
    heartbeat_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'Transaction' });
export type TransactionView = z.infer<typeof transactionViewSchema>;

const eventViewSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  type: z.string(),
  attempt_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export const eventListSchema = z
  .object({ events: z.array(eventViewSchema), next_after: z.number().int().nullable() })
  .meta({ id: 'TransactionEvents' });
export type EventList = z.infer<typeof eventListSchema>;
