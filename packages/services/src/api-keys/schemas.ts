import type { ApiKeyRow } from '@koukan/db';
import { senderNameSchema } from '@koukan/db/schema';
import { z } from 'zod';

export const apiKeyCreateInput = z.strictObject({
  sender: senderNameSchema,
  /** A label for operators ("billing app, prod"). */
  name: z.string().max(100).default(''),
});

export const apiKeyListInput = z.strictObject({
  sender: senderNameSchema.optional(),
  /** The beginning of the visible prefix, e.g. `kk_AbC`. */
  prefix: z
    .string()
    .max(13)
    .regex(/^[A-Za-z0-9_]*$/, 'letters, digits and "_"')
    .optional(),
  include_revoked: z.boolean().default(false),
  limit: z.number().int().min(1).max(1000).default(200),
});

export const apiKeyRevokeInput = z.strictObject({ id: z.uuid() });

export type ApiKeyView = ReturnType<typeof apiKeyView>;

/** A key as the console lists it: never the secret, never its hash. */
export function apiKeyView(k: ApiKeyRow) {
  return {
    id: k.id,
    sender: k.senderName,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt,
    last_used_at: k.lastUsedAt,
    revoked_at: k.revokedAt,
  };
}
