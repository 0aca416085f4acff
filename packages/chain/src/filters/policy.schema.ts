import { z } from 'zod';
import { smtpResponseSchema } from '../schema-common.ts';

const authValues = z.array(z.string().min(1)).min(1);

/** A match rule; combine with `all`, `any` and `not`. */
export type PolicyMatch =
  | { all: PolicyMatch[] }
  | { any: PolicyMatch[] }
  | { not: PolicyMatch }
  | { sender_address: string[] }
  | { sender_domain: string[] }
  | { rcpt_address: string[] }
  | { rcpt_domain: string[] }
  | { client_cidr: string[] }
  | { tls: boolean }
  | { authenticated: boolean }
  | { rcpt_count: { min?: number | undefined; max?: number | undefined } }
  | {
      auth: {
        spf?: string[] | undefined;
        dkim?: string[] | undefined;
        dmarc?: string[] | undefined;
        dmarc_policy?: string[] | undefined;
        arc?: string[] | undefined;
      };
    }
  | { tag: string };

const cidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]);

export const policyMatchSchema: z.ZodType<PolicyMatch> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(policyMatchSchema).min(1) }),
    z.strictObject({ any: z.array(policyMatchSchema).min(1) }),
    z.strictObject({ not: policyMatchSchema }),
    z.strictObject({ sender_address: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ sender_domain: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ rcpt_address: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ rcpt_domain: z.array(z.string().min(1)).min(1) }),
    z.strictObject({ client_cidr: z.array(cidr).min(1) }),
    z.strictObject({ tls: z.boolean() }),
    z.strictObject({ authenticated: z.boolean() }),
    z.strictObject({
      rcpt_count: z.strictObject({
        min: z.int().min(0).optional(),
        max: z.int().min(0).optional(),
      }),
    }),
    z.strictObject({
      auth: z.strictObject({
        spf: authValues.optional(),
        dkim: authValues.optional(),
        dmarc: authValues.optional(),
        dmarc_policy: authValues.optional(),
        arc: authValues.optional(),
      }),
    }),
    z.strictObject({ tag: z.string().min(1) }),
  ]),
);

const ruleBase = {
  name: z.string().min(1).optional(),
  match: policyMatchSchema,
};

/** A rule: when `match` holds, `reject` the recipient, `log` a message or `tag` the message. */
export const policyRuleSchema = z.discriminatedUnion('action', [
  z.strictObject({
    ...ruleBase,
    action: z.literal('reject'),
    response: smtpResponseSchema.default({
      code: 550,
      enhanced: '5.7.1',
      message: 'rejected by policy',
    }),
  }),
  z.strictObject({ ...ruleBase, action: z.literal('log'), message: z.string().min(1) }),
  z.strictObject({ ...ruleBase, action: z.literal('tag'), tag: z.string().min(1) }),
]);

export const policySchema = z.strictObject({
  /** all rules are evaluated in order; the first `reject` decides for a recipient */
  rules: z.array(policyRuleSchema).min(1),
});
