import type { auditListInput } from '@koukan/services';
import {
  createLoader,
  type inferParserType,
  parseAsInteger,
  parseAsIsoDateTime,
  parseAsString,
} from 'nuqs/server';
import type { z } from 'zod';

/** The audit log's URL state: filters and the page cursor (the last id of the page before). */
export const auditSearchParams = {
  user: parseAsString.withDefault(''),
  entity: parseAsString.withDefault(''),
  action: parseAsString.withDefault(''),
  from: parseAsIsoDateTime,
  to: parseAsIsoDateTime,
  cursor: parseAsInteger,
};

export const loadAuditSearchParams = createLoader(auditSearchParams);

type AuditSearch = inferParserType<typeof auditSearchParams>;

const AUDIT_PAGE = 50;

/** `ops@example.com` → `user:ops@example.com`; an actor with a kind (`key:…`) as it is. */
function actorOf(user: string): string | undefined {
  const u = user.trim();
  if (!u) return undefined;
  return u.includes(':') ? u : `user:${u}`;
}

export function toAuditInput(s: AuditSearch): z.input<typeof auditListInput> {
  const input: z.input<typeof auditListInput> = { limit: AUDIT_PAGE };
  const actor = actorOf(s.user);
  if (actor) input.actor = actor;
  if (s.entity.trim()) input.entity_type = s.entity.trim();
  if (s.action.trim()) input.action = s.action.trim();
  if (s.from) input.from = s.from;
  if (s.to) input.to = s.to;
  if (s.cursor) input.cursor = s.cursor;
  return input;
}
