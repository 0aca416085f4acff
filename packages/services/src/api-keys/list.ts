import { searchApiKeys } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { requireSenderByName } from '../senders/schemas.ts';
import { type ApiKeyView, apiKeyListInput, apiKeyView } from './schemas.ts';

/**
 * API keys, newest first, by sender and/or visible prefix, with created and last-used times
 * (last use is recorded at most once a minute per key).
 */
export async function apiKeyList({
  ctx,
  input,
}: ServiceCall<z.input<typeof apiKeyListInput>>): Promise<ApiKeyView[]> {
  const i = parseInput(apiKeyListInput, input);
  const sender = i.sender ? await requireSenderByName(ctx.db, i.sender, 'sender') : undefined;
  const rows = await searchApiKeys(ctx.db, {
    ...(sender && { senderId: sender.id }),
    ...(i.prefix && { prefix: i.prefix }),
    includeRevoked: i.include_revoked,
    limit: i.limit,
  });
  return rows.map(apiKeyView);
}
