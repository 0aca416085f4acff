import { z } from 'zod';

/**
 * PLACEHOLDER: a minimal message-builder body schema, to be replaced at merge by the schema of
 * `@koukan/chain` (the message_builder filter owns the real one). Keep this file the only place
 * that defines it, so the swap is one import.
 *
 * A part's content is given inline (optionally base64), named by a `create_id` and uploaded
 * afterwards with `PUT /v1/transactions/{id}/blob/{create_id}`, or reused from an earlier
 * transaction of the same sender by `reuse_uri`.
 */
export const partContentSchema = z.union([
  z.strictObject({
    inline: z.string().describe('The content itself.'),
    base64: z.boolean().optional().describe('True when `inline` is base64-encoded bytes.'),
  }),
  z.strictObject({
    create_id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" and "-", at most 64')
      .describe('Name of a blob to upload later with PUT /v1/transactions/{id}/blob/{create_id}.'),
  }),
  z.strictObject({
    reuse_uri: z
      .string()
      .min(1)
      .describe('A finalized body or blob of an earlier transaction of the same sender.'),
  }),
]);
export type PartContent = z.infer<typeof partContentSchema>;

const headerNameSchema = z.string().regex(/^[!-9;-~]+$/, 'a header field name');
const headerValueSchema = z
  .string()
  .refine((v) => !/[\r\n\0]/.test(v), 'header values may not contain CR, LF or NUL');

export const builderPartSchema = z.strictObject({
  content_type: z.string().max(255).optional(),
  content: partContentSchema,
});

export const relatedPartSchema = builderPartSchema.extend({
  content_id: z.string().min(1).max(255).describe('Referenced from the HTML as cid:<content_id>.'),
});

export const attachmentSchema = builderPartSchema.extend({
  filename: z.string().min(1).max(255).optional(),
});

export const messageBuilderSchema = z.strictObject({
  headers: z
    .array(z.tuple([headerNameSchema, headerValueSchema]))
    .default([])
    .describe('Header fields in order, e.g. [["from", "a@example.org"], ["subject", "hi"]].'),
  text_body: z.array(builderPartSchema).max(4).optional(),
  html_body: z.array(builderPartSchema).max(4).optional(),
  related: z.array(relatedPartSchema).max(100).optional(),
  attachments: z.array(attachmentSchema).max(100).optional(),
});
export type MessageBuilderSpec = z.infer<typeof messageBuilderSchema>;

/** Every part of a spec with its JSON path, for resolving create_id and reuse_uri. */
export function builderParts(spec: MessageBuilderSpec): { path: string; content: PartContent }[] {
  const out: { path: string; content: PartContent }[] = [];
  for (const key of ['text_body', 'html_body', 'related', 'attachments'] as const) {
    spec[key]?.forEach((p, i) => {
      out.push({ path: `${key}[${i}].content`, content: p.content });
    });
  }
  return out;
}
