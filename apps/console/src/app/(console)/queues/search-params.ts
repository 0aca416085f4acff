import type { QueueFilterInput } from '@koukan/services';
import {
  createLoader,
  type inferParserType,
  parseAsInteger,
  parseAsJson,
  parseAsString,
  parseAsStringLiteral,
} from 'nuqs/server';
import { z } from 'zod';

export const queueNames = ['waiting', 'held', 'failed'] as const;
export type QueueName = (typeof queueNames)[number];
export const groupings = ['domain_reply', 'domain', 'reply'] as const;

const cursorSchema = z.object({ at: z.string(), id: z.string() });

/**
 * The queue page's URL state: which queue, how it is grouped, the filter, the group opened
 * (domain, reply code, reply pattern; `code=0` / empty pattern: no reply yet) and its page.
 */
export const queueSearchParams = {
  queue: parseAsStringLiteral(queueNames).withDefault('waiting'),
  by: parseAsStringLiteral(groupings).withDefault('domain_reply'),
  days: parseAsInteger.withDefault(7),
  sender: parseAsString.withDefault(''),
  domain: parseAsString.withDefault(''),
  /** The opened group: set when a group is opened (`g=1`). */
  g: parseAsInteger.withDefault(0),
  gdomain: parseAsString,
  gcode: parseAsInteger,
  gpattern: parseAsString,
  cursor: parseAsJson(cursorSchema),
};

/** No group open (nor its page): what changing the queue or the page's filter sets. */
export const noGroup = { g: null, gdomain: null, gcode: null, gpattern: null, cursor: null };

export const loadQueueSearchParams = createLoader(queueSearchParams);

type QueueSearch = inferParserType<typeof queueSearchParams>;

const GROUP_LIMIT = 200;
const MESSAGE_PAGE = 50;

/** The filter of the page (queue, sender, domain): what the groups are computed over. */
export function pageFilter(s: QueueSearch): QueueFilterInput {
  const f: QueueFilterInput = { queue: s.queue };
  if (s.queue === 'failed') f.failed_days = Math.min(365, Math.max(1, s.days));
  if (s.sender.trim()) f.sender = s.sender.trim();
  if (s.domain.trim()) f.domain = s.domain.trim().toLowerCase();
  return f;
}

/** The opened group's filter (the page's filter narrowed to its keys), or null. */
export function groupFilter(s: QueueSearch): QueueFilterInput | null {
  if (!s.g) return null;
  const f = pageFilter(s);
  if (s.by !== 'reply') f.domain = s.gdomain ?? '';
  if (s.by !== 'domain') {
    f.reply_code = s.gcode || null;
    f.reply_pattern = s.gpattern || null;
  }
  return f;
}

export function groupsInput(s: QueueSearch) {
  return { filter: pageFilter(s), group_by: s.by, limit: GROUP_LIMIT };
}

export function messagesInput(filter: QueueFilterInput, s: QueueSearch) {
  return { filter, limit: MESSAGE_PAGE, ...(s.cursor && { cursor: s.cursor }) };
}
