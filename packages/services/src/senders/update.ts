import { canonicalJson, recordAudit, updateSender } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { parseInput } from '../errors.ts';
import {
  checkReferences,
  lockSender,
  type SenderView,
  senderConfig,
  senderNameInput,
  senderUpdateInput,
  senderView,
} from './schemas.ts';

/**
 * Edits a sender's description, output chain, retry policy, DSN settings or settings (only
 * the fields given). Audited with before/after; a no-op edit changes and records nothing.
 * Running routers see the change within their configuration reload (about a second).
 */
export async function senderUpdate({
  ctx,
  input,
}: ServiceCall<z.input<typeof senderUpdateInput>>): Promise<SenderView> {
  const i = parseInput(senderUpdateInput, input);
  return ctx.db.transaction(async (tx) => {
    const before = await lockSender(tx, i);
    await checkReferences(tx, i.patch, 'patch.');
    const beforeConfig = senderConfig(before);
    const differs = Object.entries(i.patch).some(
      ([k, v]) => canonicalJson(beforeConfig[k as keyof typeof beforeConfig]) !== canonicalJson(v),
    );
    if (!differs) return senderView(before);
    const after = await updateSender(tx, i.name, i.patch);
    await recordAudit(tx, {
      actor: ctx.actor,
      action: 'sender.update',
      entityType: 'sender',
      entityId: after.id,
      details: { name: after.name, before: beforeConfig, after: senderConfig(after) },
    });
    return senderView(after);
  });
}

async function setEnabled(
  ctx: ServiceContext,
  input: unknown,
  enabled: boolean,
): Promise<SenderView> {
  const i = parseInput(senderNameInput, input);
  return ctx.db.transaction(async (tx) => {
    const before = await lockSender(tx, i);
    if (before.enabled === enabled) return senderView(before);
    const after = await updateSender(tx, i.name, { enabled });
    await recordAudit(tx, {
      actor: ctx.actor,
      action: enabled ? 'sender.enable' : 'sender.disable',
      entityType: 'sender',
      entityId: after.id,
      details: { name: after.name, before: { enabled: !enabled }, after: { enabled } },
    });
    return senderView(after);
  });
}

/**
 * Disables a sender: its API keys are refused (403) by every router once its principal cache
 * expires (`KOUKAN_AUTH_CACHE_MS`, 1 s by default); its queued mail stays queued.
 */
export function senderDisable({
  ctx,
  input,
}: ServiceCall<z.input<typeof senderNameInput>>): Promise<SenderView> {
  return setEnabled(ctx, input, false);
}

export function senderEnable({
  ctx,
  input,
}: ServiceCall<z.input<typeof senderNameInput>>): Promise<SenderView> {
  return setEnabled(ctx, input, true);
}
