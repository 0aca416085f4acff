-- Long-poll hints (NOTIFY) of the SMTP relay's hot statements — the body and its claim, the
-- exploder's hand-over, the outcomes — had, in a single process, no one to wake but the writer's
-- own waiters, which the writer now wakes in-process: yet each cost the commit PostgreSQL's
-- notification lock (held until the commit record is flushed), the LISTEN backend a wake-up and
-- a write, and the router a parse. A statement that sets `koukan.notify` to 'deferred' for its
-- transaction (set_config(..., true)) sends none: its writer does that only when no other process
-- has said it has waiters (packages/db src/client/watch-peers.ts), and wakes its own waiters
-- itself. Every other update notifies as before. Dropping and creating a trigger rewrites
-- nothing and holds its lock only for the catalogue change.
DROP TRIGGER IF EXISTS transactions_notify ON transactions;
--> statement-breakpoint
CREATE TRIGGER transactions_notify AFTER UPDATE OF version ON transactions
  FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version
    AND current_setting('koukan.notify', true) IS DISTINCT FROM 'deferred')
  EXECUTE FUNCTION koukan_notify_transaction();
--> statement-breakpoint
-- The create's statement triggers, cheaper for the same rows. The search rows: the recipient
-- text and domains computed in the trigger's own statement (the expressions of
-- koukan_rcpt_text and koukan_rcpt_domains, unchanged), not through SQL functions that
-- PostgreSQL parses and plans again in every statement that calls them.
CREATE OR REPLACE FUNCTION koukan_transaction_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO transaction_search (transaction_id, mail_from, rcpt_text, rcpt_domains)
    SELECT n.id, coalesce(lower(n.mail_from ->> 'm'), ''),
      ' ' || array_to_string(n.rcpt_addresses, ' '),
      (SELECT coalesce(array_agg(DISTINCT substring(a FROM '@([^@]*)$')), '{}'::text[])
        FROM unnest(n.rcpt_addresses) AS a WHERE a LIKE '%@%')
    FROM inserted n;
  ELSE
    UPDATE transaction_search SET mail_from = coalesce(lower(NEW.mail_from ->> 'm'), ''),
      rcpt_text = ' ' || array_to_string(NEW.rcpt_addresses, ' '),
      rcpt_domains = (SELECT coalesce(array_agg(DISTINCT substring(a FROM '@([^@]*)$')),
          '{}'::text[])
        FROM unnest(NEW.rcpt_addresses) AS a WHERE a LIKE '%@%')
    WHERE transaction_id = NEW.id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The group keys of a new row are NULL when no reply in it can be the one koukan_last_reply
-- picks: no MAIL or DATA reply, and every RCPT reply an object with an integer code under 300
-- (the SMTP create at RCPT). The trigger then only wrote NULL over NULL; it no longer runs for
-- such a row. Any other row runs it as before (a reply_code or reply_pattern given is still
-- recomputed). Every term is true or false, never NULL.
DROP TRIGGER IF EXISTS transactions_reply_keys_insert ON transactions;
--> statement-breakpoint
CREATE TRIGGER transactions_reply_keys_insert BEFORE INSERT ON "transactions" FOR EACH ROW
  WHEN ((NEW.mail_response IS NOT NULL OR NEW.rcpt_response IS NOT NULL
    OR NEW.data_response IS NOT NULL OR NEW.reply_code IS NOT NULL OR NEW.reply_pattern IS NOT NULL)
    AND NOT (NEW.mail_response IS NULL AND NEW.data_response IS NULL
      AND NEW.reply_code IS NULL AND NEW.reply_pattern IS NULL
      AND jsonb_typeof(NEW.rcpt_response) IS NOT DISTINCT FROM 'array'
      AND coalesce(NOT jsonb_path_exists(NEW.rcpt_response,
        'strict $[*] ? (!(@.type() == "object" && @.code.type() == "number" && @.code < 300 && @.code.floor() == @.code))',
        '{}', true), false)))
  EXECUTE FUNCTION koukan_reply_keys();
