import type { schema } from '@koukan/db';
import type { SmtpReplyDetail } from './detail-schema.ts';
import type { SmtpReplySummary } from './list-schema.ts';

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;

/** A stored reply with its enhanced status code split off (when the text starts with one). */
export function replyDetail(r: schema.SmtpResponse | null | undefined): SmtpReplyDetail | null {
  if (!r) return null;
  const m = ENHANCED.exec(r.message);
  return {
    code: r.code,
    enhanced: m ? m[0] : null,
    text: m ? r.message.slice(m[0].length).trimStart() : r.message,
    verbatim: `${r.code} ${r.message}`,
  };
}

export function replySummary(r: schema.SmtpResponse | null | undefined): SmtpReplySummary | null {
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
