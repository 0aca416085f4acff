import { transactionStatuses } from '@koukan/db/state';
import type { ListTransactionsInput } from '@koukan/services';
import {
  createLoader,
  type inferParserType,
  parseAsArrayOf,
  parseAsIsoDateTime,
  parseAsString,
  parseAsStringLiteral,
} from 'nuqs/server';

/** The list's URL state: every filter and the page cursor, so a view can be shared. */
export const transactionSearchParams = {
  status: parseAsArrayOf(parseAsStringLiteral(transactionStatuses)).withDefault([]),
  sender: parseAsString.withDefault(''),
  from: parseAsString.withDefault(''),
  rcpt: parseAsString.withDefault(''),
  domain: parseAsString.withDefault(''),
  msgid: parseAsString.withDefault(''),
  reason: parseAsString.withDefault(''),
  after: parseAsIsoDateTime,
  before: parseAsIsoDateTime,
  cursor: parseAsString.withDefault(''),
};

export const loadTransactionSearchParams = createLoader(transactionSearchParams);

type TransactionSearch = inferParserType<typeof transactionSearchParams>;

const PAGE_SIZE = 50;

/** The service input for a URL state; server and client build the same (same query key). */
export function toListInput(s: TransactionSearch): ListTransactionsInput {
  const t = (v: string) => (v.trim() ? v.trim() : undefined);
  const input: ListTransactionsInput = { limit: PAGE_SIZE };
  if (s.status.length) input.status = s.status;
  if (t(s.sender)) input.sender = t(s.sender);
  if (t(s.from)) input.mail_from_prefix = t(s.from);
  if (t(s.rcpt)) input.rcpt_prefix = t(s.rcpt);
  if (t(s.domain)) input.rcpt_domain = t(s.domain);
  if (t(s.msgid)) input.message_id = t(s.msgid);
  if (t(s.reason)) input.final_reason = t(s.reason);
  if (s.after) input.created_after = s.after;
  if (s.before) input.created_before = s.before;
  if (t(s.cursor)) input.cursor = t(s.cursor);
  return input;
}
