import { z } from 'zod';
import { hostPortSchema, secondsSchema } from '../schema-common.ts';

export const dnsResolutionSchema = z.strictObject({
  /** port of the resolved hosts */
  port: z.int().min(1).max(65535).default(25),
  /** per-domain overrides (tests, private networks): domain → ['host[:port]', …] */
  static_hosts: z.record(z.string().min(1), z.array(hostPortSchema).min(1)).default({}),
  /** maximum hosts handed to the output */
  max_hosts: z.int().min(1).default(10),
  /** resolve timeout for the whole lookup */
  lookup_timeout: secondsSchema.default(30),
});
export type DnsResolutionConfig = z.output<typeof dnsResolutionSchema>;
