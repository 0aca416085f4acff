import { z } from 'zod';

export const addRouteSchema = z.strictObject({
  /** the sender whose chain receives the copy */
  sender: z.string().min(1),
  /** `sync`: run that chain now and fold its answer in; `async`: store a separate transaction */
  mode: z.enum(['sync', 'async']).default('async'),
  /** recipients of the copy (e.g. a journal mailbox); defaults to the transaction's */
  rcpt_to: z.array(z.string().min(3)).optional(),
  /** envelope sender of the copy; defaults to the transaction's */
  mail_from: z.string().optional(),
  /** when false, a failed copy fails the recipients (sync) or the message (async) temporarily */
  ignore_failure: z.boolean().default(true),
});
