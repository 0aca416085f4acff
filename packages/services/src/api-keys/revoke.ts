import { getApiKeyById, recordAudit, revokeApiKey } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { AppError, fieldError, parseInput } from '../errors.ts';
import { type ApiKeyView, apiKeyRevokeInput, apiKeyView } from './schemas.ts';

/**
 * Revokes an API key: every router refuses it once its principal cache expires
 * (`KOUKAN_AUTH_CACHE_MS`, 1 s by default). `conflict` if it is revoked already.
 */
export async function apiKeyRevoke({
  ctx,
  input,
}: ServiceCall<z.input<typeof apiKeyRevokeInput>>): Promise<ApiKeyView> {
  const i = parseInput(apiKeyRevokeInput, input);
  return ctx.db.transaction(async (tx) => {
    const key = await getApiKeyById(tx, i.id);
    if (!key) {
      throw fieldError('not_found', `no API key ${i.id}`, 'id', 'unknown key');
    }
    if (!(await revokeApiKey(tx, i.id))) {
      throw new AppError('conflict', `API key ${key.prefix} is revoked already`);
    }
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'api_key.revoke',
      entityType: 'api_key',
      entityId: key.id,
      details: { sender: key.senderName, prefix: key.prefix, name: key.name },
    });
    return apiKeyView((await getApiKeyById(tx, i.id))!);
  });
}
