import { z } from 'zod';
import { secondsSchema } from '../schema-common.ts';

/** Config only: the exploder runs in the delivery engine (it needs storage). */
export const exploderSchema = z.strictObject({
  /** sender whose chain each per-recipient transaction runs */
  output_chain: z.string().min(1),
  /** store-and-forward (MSA) semantics: accept once stored, notify on failure */
  msa: z.boolean().default(false),
  /** how long to wait for an upstream RCPT answer before answering the client */
  rcpt_timeout: secondsSchema.default(30),
  /** how long to wait for an upstream DATA answer */
  data_timeout: secondsSchema.default(300),
  notification: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** sender used to send DSNs */
      sender: z.string().min(1).optional(),
    })
    .default({ enabled: true }),
  retry: z
    .strictObject({
      /** delays in seconds between attempts; the last repeats */
      schedule: z.array(secondsSchema).min(1).default([60, 300, 900, 3600, 14400]),
      max_attempts: z.int().min(1).default(30),
      /** seconds after which a transaction permanently fails */
      max_age: secondsSchema.default(5 * 24 * 3600),
    })
    .default({ schedule: [60, 300, 900, 3600, 14400], max_attempts: 30, max_age: 432000 }),
});
