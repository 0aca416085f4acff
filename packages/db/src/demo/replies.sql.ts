import { sql } from 'drizzle-orm';

/**
 * SQL expressions over a demo_stage row `s` (and attempt number `k`): realistic SMTP replies,
 * stored as the gateway parses them (the enhanced code apart, migration 0019's split).
 */

export const deferReply = sql.raw(`koukan_split_reply(case
  when s.domain = 'gmail.com' then jsonb_build_object('code', 421, 'message',
    '4.7.0 Try again later, closing connection. (RCPT) ' || substr(md5(s.id::text || k), 1, 14) || ' - gsmtp')
  when s.domain in ('yahoo.com', 'aol.com') then jsonb_build_object('code', 421, 'message',
    '4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes')
  when s.domain in ('outlook.com', 'hotmail.com') then jsonb_build_object('code', 451, 'message',
    '4.7.650 The mail server [192.0.2.10] has been temporarily rate limited due to IP reputation.')
  when s.n % 3 = 0 then jsonb_build_object('code', 452, 'message', '4.2.2 Mailbox full')
  else jsonb_build_object('code', 450, 'message', '4.2.0 Greylisted, please try again later')
  end)`);

export const rcptPermReply = sql.raw(`koukan_split_reply(case
  when s.domain = 'gmail.com' then jsonb_build_object('code', 550, 'message',
    '5.1.1 The email account that you tried to reach does not exist. ' || substr(md5(s.id::text), 1, 14) || ' - gsmtp')
  else jsonb_build_object('code', 550, 'message',
    '5.1.1 <' || s.rcpt || '>: Recipient address rejected: User unknown in virtual mailbox table')
  end)`);

export const dataPermReply = sql.raw(
  `jsonb_build_object('code', 554, 'enhanced', '5.7.1', 'message', 'Message rejected as spam by Content Filtering.')`,
);

export const okReply = sql.raw(
  `jsonb_build_object('code', 250, 'enhanced', '2.0.0', 'message', 'Ok: queued as ' || upper(substr(md5(s.id::text), 1, 10)))`,
);

export const upstreamHost = sql.raw(`case
  when s.domain = 'gmail.com' then 'gmail-smtp-in.l.google.com'
  when s.domain in ('outlook.com', 'hotmail.com') then s.domain || '-mail.protection.outlook.com'
  when s.domain in ('yahoo.com', 'aol.com') then 'mta7.am0.yahoodns.net'
  else 'mx' || (1 + s.n % 2) || '.' || s.domain end`);
