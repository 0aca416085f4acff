import { z } from 'zod';
import { smtpResponseSchema } from '../schema-common.ts';

export const sandboxSchema = z.strictObject({
  /** inbox name shown in the console */
  mailbox: z.string().min(1).optional(),
  /** answer given to the client */
  response: smtpResponseSchema.default({
    code: 250,
    enhanced: '2.0.0',
    message: 'accepted into the sandbox (not delivered)',
  }),
});
