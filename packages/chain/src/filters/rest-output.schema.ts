import { z } from 'zod';
import { inlineSecretRefused, secondsSchema, secretRefSchema } from '../schema-common.ts';

export const restOutputSchema = z.strictObject({
  /** base URL of the next hop's transaction API, e.g. `http://localhost:8001` */
  url: z.url({ protocol: /^https?$/ }),
  /** sender name in `/v1/senders/{sender}/transactions` on the next hop */
  sender: z.string().min(1),
  /** API key reference, resolved through the secrets port (preferred) */
  api_key_ref: secretRefSchema.optional(),
  /** refused: keys live in the secret store */
  api_key: inlineSecretRefused('api_key_ref'),
  connect_timeout: secondsSchema.default(30),
  /** total time to wait for all responses */
  response_timeout: secondsSchema.default(300),
  /** long-poll `Request-Timeout` per GET */
  poll_timeout: z.int().min(1).max(30).default(25),
  /** send routing next hops as `remote_hosts` */
  send_remote_hosts: z.boolean().default(true),
  /**
   * a body of at most this many bytes that is valid UTF-8 goes inline in the create request
   * (one request instead of two); 0 (the default) always uploads it with PUT. An inline body
   * starts the delivery with the create, before the router knows where it went: a create whose
   * answer is lost and is retried on another gateway replica, or a router killed before it
   * journals the create, can then deliver the message twice. Only for one next hop that is not
   * a set of replicas, and where that rare duplicate is acceptable.
   */
  inline_body_max: z
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(0),
});
export type RestOutputConfig = z.output<typeof restOutputSchema>;
