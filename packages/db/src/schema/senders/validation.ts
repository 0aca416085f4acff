import { z } from 'zod';
import type { Sender } from './table.ts';

/** `30s`, `5m`, `2h`, `1d`, or a number of seconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 5m, 2h or 1d'),
]);
export type Duration = z.infer<typeof durationSchema>;

export function durationToMs(d: Duration): number {
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return n * unit;
}

export const retryPolicySchema = z.strictObject({
  schedule: z.array(durationSchema).min(1),
  max_attempts: z.number().int().positive().optional(),
  max_age: durationSchema.optional(),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

export const notificationPolicySchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** The sender whose chain delivers the DSN. */
  sender: z.string().min(1).optional(),
  mailer_daemon: z.string().min(3).optional(),
  /**
   * Wait after which a transaction still being retried gets a delay DSN (once), for recipients
   * whose NOTIFY includes DELAY; default: the router's KOUKAN_DSN_DELAY_AFTER_MS (4 h).
   */
  delay_after: durationSchema
    .optional()
    .describe(
      "Wait after arrival before a transaction still being retried gets its one delay DSN (recipients whose NOTIFY has DELAY); default the router's KOUKAN_DSN_DELAY_AFTER_MS, 4h.",
    ),
  /** Also send delay DSNs to recipients that gave no NOTIFY (RFC 3461 leaves it open); default false. */
  delay_without_notify: z
    .boolean()
    .optional()
    .describe('Also send delay DSNs to recipients that gave no NOTIFY; default false.'),
});
export type NotificationPolicy = z.infer<typeof notificationPolicySchema>;

export const senderNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-", at most 63');

export const senderInputSchema = z.strictObject({
  name: senderNameSchema,
  description: z.string().max(500).optional(),
  output_chain: z.string().min(1).nullable().optional(),
  enabled: z.boolean().optional(),
  retry: retryPolicySchema.nullable().optional(),
  notification: notificationPolicySchema.nullable().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type SenderInput = z.infer<typeof senderInputSchema>;

/** A sender's configuration but its name, as files, the console and the audit log spell it. */
export function senderFields(s: Sender) {
  return {
    description: s.description,
    output_chain: s.outputChain,
    enabled: s.enabled,
    retry: s.retry,
    notification: s.notification,
    settings: s.settings,
  };
}
