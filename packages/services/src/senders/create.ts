import { createSender, recordAudit } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import {
  checkReferences,
  duplicateName,
  type SenderView,
  senderConfig,
  senderCreateInput,
  senderView,
} from './schemas.ts';

/** Creates a sender; its output chain (and DSN sender) must exist. Audited with `after`. */
export async function senderCreate({
  ctx,
  input,
}: ServiceCall<z.input<typeof senderCreateInput>>): Promise<SenderView> {
  const i = parseInput(senderCreateInput, input);
  return ctx.db.transaction(async (tx) => {
    await checkReferences(tx, i);
    const sender = await createSender(tx, i).catch((err: unknown) => duplicateName(err, i.name));
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'sender.create',
      entityType: 'sender',
      entityId: sender.id,
      details: { name: sender.name, before: null, after: senderConfig(sender) },
    });
    return senderView(sender);
  });
}
