import { getBlob, getSandboxMessage, readBlobStream, type schema } from '@koukan/db';
import { z } from 'zod';
import { attachmentOf, parseBlob, toParsedMessage } from '../console/message.ts';
import type { AttachmentContent, ParsedMessage, RawMessage } from '../console/message-schema.ts';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { fieldError, parseInput } from '../errors.ts';

export const sandboxIdInput = z.strictObject({
  id: z.guid({ message: 'a sandbox message id (UUID)' }),
});

export const sandboxAttachmentInput = sandboxIdInput.extend({
  index: z.coerce.number().int().min(0).max(10_000),
});

async function kept(
  ctx: ServiceContext,
  id: string,
): Promise<{ row: schema.SandboxMessage; blob: schema.Blob }> {
  const row = await getSandboxMessage(ctx.db, id);
  if (!row) {
    throw fieldError('not_found', `no sandbox message ${id}`, 'id', 'unknown message');
  }
  const blob = row.blobId ? await getBlob(ctx.db, row.blobId) : undefined;
  if (blob?.status !== 'finalized') {
    throw fieldError('not_found', `sandbox message ${id} has no stored body`, 'id', 'no body');
  }
  return { row, blob };
}

/**
 * One kept message: its inbox row and the message as stored by the `sandbox` filter (the
 * bytes after the chain's filters), parsed as the transaction message view shows it.
 */
export async function sandboxGet({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxIdInput>>): Promise<{
  item: schema.SandboxMessage;
  message: ParsedMessage;
}> {
  const { id } = parseInput(sandboxIdInput, input);
  const { row, blob } = await kept(ctx, id);
  return { item: row, message: toParsedMessage(await parseBlob(ctx.db, blob)) };
}

/** The kept message's bytes, for download. */
export async function sandboxRaw({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxIdInput>>): Promise<RawMessage> {
  const { id } = parseInput(sandboxIdInput, input);
  const { blob } = await kept(ctx, id);
  return {
    stream: readBlobStream(ctx.db, blob.id),
    size: blob.size,
    contentType: 'message/rfc822',
    filename: `sandbox-${id}.eml`,
  };
}

/** The kept message's HTML part (null: none), for the sandboxed iframe. */
export async function sandboxHtml({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxIdInput>>): Promise<string | null> {
  const { id } = parseInput(sandboxIdInput, input);
  const { blob } = await kept(ctx, id);
  const { mail } = await parseBlob(ctx.db, blob);
  return typeof mail?.html === 'string' ? mail.html : null;
}

/** One attachment of the kept message. */
export async function sandboxAttachment({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxAttachmentInput>>): Promise<AttachmentContent> {
  const { id, index } = parseInput(sandboxAttachmentInput, input);
  const { blob } = await kept(ctx, id);
  const { mail } = await parseBlob(ctx.db, blob);
  return attachmentOf(mail, index);
}
