import type { schema } from '@koukan/db';
import { replyLine } from '@koukan/db/schema';
import type { SmtpReplyDetail } from './detail-schema.ts';
import type { SmtpReplySummary } from './list-schema.ts';

/** A stored reply for the console: its parts, and the line as the upstream sent it. */
export function replyDetail(r: schema.SmtpResponse | null | undefined): SmtpReplyDetail | null {
  if (!r) return null;
  return {
    code: r.code,
    enhanced: r.enhanced ?? null,
    text: r.message,
    verbatim: replyLine(r),
  };
}

function replySummary(r: schema.SmtpResponse | null | undefined): SmtpReplySummary | null {
  const d = replyDetail(r);
  return d && { code: d.code, enhanced: d.enhanced, text: d.text };
}

/**
 * The reply that says most about the latest attempt: a refused MAIL, else the first recipient's
 * refusal, else the DATA reply, else the first recipient's, else MAIL's.
 */
export function latestReply(row: {
  mailResponse: schema.SmtpResponse | null;
  rcptResponse: (schema.SmtpResponse | null)[] | null;
  dataResponse: schema.SmtpResponse | null;
}): SmtpReplySummary | null {
  const mail = row.mailResponse;
  if (mail && mail.code >= 400) return replySummary(mail);
  const rcpts = (row.rcptResponse ?? []).filter((r): r is schema.SmtpResponse => r !== null);
  const refused = rcpts.find((r) => r.code >= 400);
  return replySummary(refused ?? row.dataResponse ?? rcpts[0] ?? mail);
}
