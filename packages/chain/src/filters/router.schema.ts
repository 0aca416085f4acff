import { z } from 'zod';
import { domainSchema, hostPortSchema, smtpResponseSchema } from '../schema-common.ts';

const addressListPolicy = z.strictObject({
  type: z.literal('address_list'),
  /** exact addresses (case-insensitive); `user+tag@d` matches `user@d` with a delimiter */
  addresses: z.array(z.string().min(3)).default([]),
  /** whole domains; a leading dot (`.example.com`) also matches subdomains */
  domains: z.array(domainSchema).default([]),
  /** local-part prefixes, e.g. `noreply-` */
  prefixes: z.array(z.string().min(1)).default([]),
  /** sub-address delimiter(s), e.g. `+` or `+-`; empty disables */
  delimiter: z.string().max(4).default('+'),
  /** what to do with a match */
  action: z.enum(['accept', 'reject']).default('accept'),
  /** response for `reject` */
  response: smtpResponseSchema.optional(),
  /** static next hop for accepted recipients of this list */
  smarthost: hostPortSchema.optional(),
});

const destinationDomainPolicy = z.strictObject({
  type: z.literal('destination_domain'),
  /** limit to these recipient domains; empty = any */
  domains: z.array(domainSchema).default([]),
});

const smarthostPolicy = z.strictObject({
  type: z.literal('smarthost'),
  smarthost: hostPortSchema,
  domains: z.array(domainSchema).default([]),
});

export const routerPolicySchema = z.discriminatedUnion('type', [
  addressListPolicy,
  destinationDomainPolicy,
  smarthostPolicy,
]);

export const routerSchema = z.strictObject({
  /** evaluated in order; the first policy that matches a recipient decides */
  policies: z.array(routerPolicySchema).min(1),
  /** answer for recipients no policy accepts */
  reject: smtpResponseSchema.default({
    code: 550,
    enhanced: '5.1.1',
    message: 'mailbox unavailable',
  }),
});
export type RouterPolicy = z.output<typeof routerPolicySchema>;
