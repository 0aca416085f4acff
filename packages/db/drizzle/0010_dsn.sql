-- RFC 3461/3464 DSNs (issue 15 item 2). The DSN request itself travels in the envelope's ESMTP
-- parameters (mail_from.e: RET, ENVID; rcpt_to[i].e: NOTIFY, ORCPT). This records when the one
-- delay DSN of a transaction was generated, so each recipient gets at most one.
ALTER TABLE "transactions" ADD COLUMN IF NOT EXISTS "delay_dsn_at" timestamp with time zone;
