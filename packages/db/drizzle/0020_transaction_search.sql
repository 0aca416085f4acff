-- The console's address search moves off `transactions` (issue 13). Every status change of a
-- transaction (claim, outcome, hold, release, cancel) is a non-HOT update, which adds an entry
-- to each of the table's indexes and evaluates every expression index: the four GIN indexes
-- (recipients, recipient domains, and the trigrams of the recipients and of the envelope
-- sender) were most of that cost, for keys that never change with the status. They now live on
-- `transaction_search`, one row per transaction written by a trigger when the transaction is
-- inserted and when its envelope changes (PATCH add_rcpt_to), and deleted with it (retention).
--
-- The other indexes of `transactions`, reviewed for redundancy (one answering another's
-- queries):
-- - transactions_rcpt_idx (exact recipient, GIN): only a test's listing used it, and an address
--   is found by prefix on transaction_search: dropped.
-- - transactions_due_idx (next_attempt_at) and transactions_sender_due_idx (sender_id,
--   next_attempt_at), same predicate: the claim needs each sender's earliest; the waiting queue
--   lists all senders by next attempt, which the per-sender index can only sort. Both kept.
-- - transactions_created_idx, _sender_created_idx, _status_created_idx and
--   _sender_status_created_idx: each is the list's order (newest first) under its filter; a
--   wider one answers a narrower filter only by sorting all its matches. Kept.
-- - transactions_finished_idx (retention, failed queue) and _final_reason_created_idx (the
--   final-reason filter) order by different times. Kept. The remaining partial indexes (awaiting
--   body, held, lease, parent, Message-ID, idempotency key) each serve one query alone.
CREATE TABLE "transaction_search" (
  "transaction_id" uuid PRIMARY KEY NOT NULL REFERENCES "transactions"("id") ON DELETE CASCADE,
  "mail_from" text NOT NULL,
  "rcpt_text" text NOT NULL,
  "rcpt_domains" text[] NOT NULL
);
--> statement-breakpoint
-- An insert's rows in one statement (bulk inserts pay no call per row); an update only from a
-- statement that sets the envelope (a status change never does), row by row, since a trigger
-- with a column list cannot see its statement's rows as a table.
CREATE OR REPLACE FUNCTION koukan_transaction_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO transaction_search (transaction_id, mail_from, rcpt_text, rcpt_domains)
    SELECT id, coalesce(lower(mail_from ->> 'm'), ''), koukan_rcpt_text(rcpt_addresses),
      koukan_rcpt_domains(rcpt_addresses)
    FROM inserted;
  ELSE
    UPDATE transaction_search SET mail_from = coalesce(lower(NEW.mail_from ->> 'm'), ''),
      rcpt_text = koukan_rcpt_text(NEW.rcpt_addresses),
      rcpt_domains = koukan_rcpt_domains(NEW.rcpt_addresses)
    WHERE transaction_id = NEW.id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER transactions_search_insert AFTER INSERT ON "transactions"
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION koukan_transaction_search();
--> statement-breakpoint
CREATE TRIGGER transactions_search_update AFTER UPDATE OF mail_from, rcpt_addresses ON "transactions"
  FOR EACH ROW EXECUTE FUNCTION koukan_transaction_search();
--> statement-breakpoint
INSERT INTO transaction_search (transaction_id, mail_from, rcpt_text, rcpt_domains)
  SELECT id, coalesce(lower(mail_from ->> 'm'), ''), koukan_rcpt_text(rcpt_addresses),
    koukan_rcpt_domains(rcpt_addresses)
  FROM transactions;
--> statement-breakpoint
CREATE INDEX "transaction_search_mail_from_trgm_idx" ON "transaction_search" USING gin ("mail_from" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "transaction_search_rcpt_trgm_idx" ON "transaction_search" USING gin ("rcpt_text" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "transaction_search_rcpt_domains_idx" ON "transaction_search" USING gin ("rcpt_domains");
--> statement-breakpoint
DROP INDEX "transactions_rcpt_idx";
--> statement-breakpoint
DROP INDEX "transactions_rcpt_domain_idx";
--> statement-breakpoint
DROP INDEX "transactions_rcpt_trgm_idx";
--> statement-breakpoint
DROP INDEX "transactions_mail_from_trgm_idx";
