-- The retry queue's group keys (reply_code, reply_pattern) were stored generated columns, and
-- PostgreSQL recomputes every stored generated column on every UPDATE of a row, whatever it
-- changes: five regular expressions per row for each lease, renewal, outcome and operator
-- action, and most of a bulk hold's CPU. They become plain columns kept by a trigger that runs
-- only when what they derive from changes: the replies, or whether the status is one of the
-- queue statuses (queued, held, failed). A direct write to them is recomputed too. The values
-- are the same as before (same expressions); no row is rewritten.
ALTER TABLE "transactions" ALTER COLUMN "reply_code" DROP EXPRESSION;
--> statement-breakpoint
ALTER TABLE "transactions" ALTER COLUMN "reply_pattern" DROP EXPRESSION;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_reply_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
BEGIN
  IF NEW.status IN ('queued', 'held', 'failed') THEN
    r := koukan_last_reply(NEW.mail_response, NEW.rcpt_response, NEW.data_response);
    NEW.reply_code := (r ->> 'code')::int;
    NEW.reply_pattern := koukan_reply_pattern(r ->> 'message');
  ELSE
    NEW.reply_code := NULL;
    NEW.reply_pattern := NULL;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER transactions_reply_keys_insert BEFORE INSERT ON "transactions" FOR EACH ROW
  WHEN (NEW.mail_response IS NOT NULL OR NEW.rcpt_response IS NOT NULL
    OR NEW.data_response IS NOT NULL OR NEW.reply_code IS NOT NULL OR NEW.reply_pattern IS NOT NULL)
  EXECUTE FUNCTION koukan_reply_keys();
--> statement-breakpoint
CREATE TRIGGER transactions_reply_keys_update BEFORE UPDATE ON "transactions" FOR EACH ROW
  WHEN (OLD.mail_response IS DISTINCT FROM NEW.mail_response
    OR OLD.rcpt_response IS DISTINCT FROM NEW.rcpt_response
    OR OLD.data_response IS DISTINCT FROM NEW.data_response
    OR (OLD.status IN ('queued', 'held', 'failed')) <> (NEW.status IN ('queued', 'held', 'failed'))
    OR OLD.reply_code IS DISTINCT FROM NEW.reply_code
    OR OLD.reply_pattern IS DISTINCT FROM NEW.reply_pattern)
  EXECUTE FUNCTION koukan_reply_keys();
