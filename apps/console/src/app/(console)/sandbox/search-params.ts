import type { sandboxListInput } from '@koukan/services';
import { createLoader, type inferParserType, parseAsJson, parseAsString } from 'nuqs/server';
import type { z as Z } from 'zod';
import { z } from 'zod';

const cursorSchema = z.object({ at: z.string(), id: z.string() });

/** The inbox's URL state: mailbox, search and page. */
export const sandboxSearchParams = {
  mailbox: parseAsString.withDefault(''),
  q: parseAsString.withDefault(''),
  cursor: parseAsJson(cursorSchema),
};

export const loadSandboxSearchParams = createLoader(sandboxSearchParams);

const SANDBOX_PAGE = 50;

export function toSandboxInput(
  s: inferParserType<typeof sandboxSearchParams>,
): Z.input<typeof sandboxListInput> {
  return {
    limit: SANDBOX_PAGE,
    ...(s.mailbox && { mailbox: s.mailbox }),
    ...(s.q.trim() && { search: s.q.trim() }),
    ...(s.cursor && { cursor: s.cursor }),
  };
}
