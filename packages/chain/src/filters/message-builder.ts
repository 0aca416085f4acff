import { buildMessage } from '../builder/build.ts';
import { messageBuilderSchema } from '../builder/schema.ts';
import type { FilterRun } from '../registry.ts';
import { perm, temp } from '../responses.ts';

/**
 * Turn the transaction's message-builder JSON into an RFC 822 body (streamed at each read).
 * Invalid JSON is a permanent failure naming the offending field path.
 */
export const messageBuilder: FilterRun<'message_builder'> = async (tx, config, ctx) => {
  if (!tx.messageBuilder) return { kind: 'continue' };
  const parsed = messageBuilderSchema.safeParse(tx.messageBuilder);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const v = perm(
      `invalid message builder JSON at ${path || '(root)'}: ${issue?.message}`,
      550,
      '5.6.0',
    );
    tx.event('message_builder_invalid', { path, message: issue?.message });
    return { kind: 'done', data: v };
  }
  const spec = parsed.data;
  const needsBlobs = [spec.text, spec.html, ...spec.related, ...spec.attachments].some(
    (p) => p && !('inline' in p.content),
  );
  if (needsBlobs && !ctx.blobs) {
    const v = temp('message builder blobs are not available', 451, '4.3.0');
    return { kind: 'done', data: v };
  }
  const domain = config.message_id_domain ?? ctx.hostname;
  tx.replaceBody(
    buildMessage(spec, {
      ...(ctx.blobs ? { blobs: ctx.blobs } : {}),
      ...(domain ? { messageIdDomain: domain } : {}),
      keepBcc: config.keep_bcc,
      ...(ctx.now ? { now: ctx.now } : {}),
    }),
  );
  tx.event('message_built', {
    attachments: spec.attachments.length,
    related: spec.related.length,
  });
  return { kind: 'continue' };
};
