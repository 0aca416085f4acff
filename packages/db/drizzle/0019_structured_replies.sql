-- An SMTP reply is stored as it travels, {code, enhanced, message}: the enhanced status code
-- (RFC 3463) apart from the text, so that nothing parses it back out of the text (issue 14).
-- Existing replies whose text starts with one are split once here; any other reply keeps its
-- text whole and has no "enhanced" (readers treat that as "none given").
CREATE OR REPLACE FUNCTION koukan_split_reply(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(r) = 'object' AND NOT r ? 'enhanced'
      AND r ->> 'message' ~ '^[245]\.\d{1,3}\.\d{1,3}( |$)'
    THEN r || jsonb_build_object(
      'enhanced', substring(r ->> 'message' FROM '^[245]\.\d{1,3}\.\d{1,3}'),
      -- RFC 2034 repeats the code on each line of a multi-line reply
      'message', regexp_replace(r ->> 'message', '(^|\n)[245]\.\d{1,3}\.\d{1,3} ?', '\1', 'g'))
    ELSE r
  END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_split_replies(rs jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(rs) = 'array'
    THEN (SELECT coalesce(jsonb_agg(koukan_split_reply(x) ORDER BY i), '[]'::jsonb)
      FROM jsonb_array_elements(rs) WITH ORDINALITY AS e(x, i))
    ELSE rs END
$$;
--> statement-breakpoint
-- A reply's text as sent after the code, enhanced code first: what the group key, the queue's
-- sample reply and the deferral rollup read.
CREATE OR REPLACE FUNCTION koukan_reply_text(r jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN r ->> 'enhanced' IS NOT NULL
    THEN rtrim((r ->> 'enhanced') || ' ' || coalesce(r ->> 'message', ''))
    ELSE r ->> 'message' END
$$;
--> statement-breakpoint
-- The group key keeps its value: the pattern of the reply's text as sent (enhanced code first).
CREATE OR REPLACE FUNCTION koukan_reply_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
BEGIN
  IF NEW.status IN ('queued', 'held', 'failed') THEN
    r := koukan_last_reply(NEW.mail_response, NEW.rcpt_response, NEW.data_response);
    NEW.reply_code := (r ->> 'code')::int;
    NEW.reply_pattern := koukan_reply_pattern(koukan_reply_text(r));
  ELSE
    NEW.reply_code := NULL;
    NEW.reply_pattern := NULL;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
UPDATE transactions SET mail_response = koukan_split_reply(mail_response),
  rcpt_response = koukan_split_replies(rcpt_response),
  data_response = koukan_split_reply(data_response)
WHERE mail_response IS DISTINCT FROM koukan_split_reply(mail_response)
  OR rcpt_response IS DISTINCT FROM koukan_split_replies(rcpt_response)
  OR data_response IS DISTINCT FROM koukan_split_reply(data_response);
--> statement-breakpoint
UPDATE attempts SET mail_response = koukan_split_reply(mail_response),
  rcpt_response = koukan_split_replies(rcpt_response),
  data_response = koukan_split_reply(data_response)
WHERE mail_response IS DISTINCT FROM koukan_split_reply(mail_response)
  OR rcpt_response IS DISTINCT FROM koukan_split_replies(rcpt_response)
  OR data_response IS DISTINCT FROM koukan_split_reply(data_response);
--> statement-breakpoint
-- The deferral rollup keeps the enhanced code apart too ('' when the reply gave none).
ALTER TABLE deferral_rollup ADD COLUMN reply_enhanced text NOT NULL DEFAULT '';
--> statement-breakpoint
UPDATE deferral_rollup SET reply_enhanced = substring(reply_text FROM '^[245]\.\d{1,3}\.\d{1,3}'),
  reply_text = substring(reply_text FROM '^\S+ ?(.*)$')
WHERE reply_text ~ '^[245]\.\d{1,3}\.\d{1,3}( |$)';
--> statement-breakpoint
ALTER TABLE deferral_rollup DROP CONSTRAINT deferral_rollup_pkey;
--> statement-breakpoint
ALTER TABLE deferral_rollup ADD CONSTRAINT deferral_rollup_pkey
  PRIMARY KEY (minute, domain, reply_code, reply_enhanced, reply_text);
