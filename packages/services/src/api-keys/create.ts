import { createApiKey, recordAudit } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { requireSenderByName } from '../senders/schemas.ts';
import { type ApiKeyView, apiKeyCreateInput, apiKeyView } from './schemas.ts';

/**
 * Creates an API key for a sender. The secret is in the result, once: only its hash is
 * stored. Audited with the key's prefix (never the secret). Usable at once on every router.
 */
export async function apiKeyCreate({
  ctx,
  input,
}: ServiceCall<z.input<typeof apiKeyCreateInput>>): Promise<{ key: string; apiKey: ApiKeyView }> {
  const i = parseInput(apiKeyCreateInput, input);
  return ctx.db.transaction(async (tx) => {
    const sender = await requireSenderByName(tx, i.sender, 'sender');
    const { key, apiKey } = await createApiKey(tx, { senderId: sender.id, name: i.name });
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: apiKey.id,
      details: { sender: sender.name, prefix: apiKey.prefix, name: apiKey.name },
    });
    return { key, apiKey: apiKeyView({ ...apiKey, senderName: sender.name }) };
  });
}
