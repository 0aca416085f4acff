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
  /**
   * Accept MX answers (and implicit MX) that point at loopback, private, link-local or other
   * non-public addresses. Off by default: a hostile domain's MX must not turn the MTA into a
   * way into internal networks. Static hosts and the smarthost are explicit and never checked.
   */
  allow_private_next_hops: z.boolean().default(false),
});
