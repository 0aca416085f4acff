import { deleteSandboxMessages, recordAudit } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { fieldError, parseInput } from '../errors.ts';

export const sandboxDeleteInput = z.union([
  z.strictObject({ id: z.uuid() }),
  z.strictObject({ mailbox: z.string().min(1).max(200) }),
  z.strictObject({ all: z.literal(true) }),
]);

/**
 * Deletes one sandbox message, a mailbox or the whole inbox, and frees the message bodies
 * (blobs and chunks deleted when nothing else references them). Audited with the count.
 */
export async function sandboxDelete({
  ctx,
  input,
}: ServiceCall<z.input<typeof sandboxDeleteInput>>): Promise<{
  deleted: number;
  blobsFreed: number;
}> {
  const i = parseInput(sandboxDeleteInput, input);
  return ctx.db.transaction(async (tx) => {
    const result = await deleteSandboxMessages(tx, i);
    if ('id' in i && result.deleted === 0) {
      throw fieldError('not_found', `no sandbox message ${i.id}`, 'id', 'unknown message');
    }
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'sandbox.delete',
      entityType: 'sandbox_message',
      entityId: 'id' in i ? i.id : null,
      details: { selection: i, ...result },
    });
    return result;
  });
}
