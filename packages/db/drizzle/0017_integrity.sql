-- The references the code relies on become constraints the database enforces (issue 14).
-- Rows that already break them (from before this migration) are repaired first: a dangling
-- reference is cleared, never the row that holds it.

-- An upstream (or a DSN) points at the transaction it came from; deleting that one keeps it.
-- Checked at commit: a batch may write the children before their parent in one transaction.
UPDATE transactions c SET parent_id = NULL
  WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.id = c.parent_id);
--> statement-breakpoint
ALTER TABLE transactions ADD CONSTRAINT transactions_parent_id_fkey
  FOREIGN KEY (parent_id) REFERENCES transactions(id) ON DELETE SET NULL
  DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
-- An event of an attempt names a real attempt (checked at commit: the attempt and its events
-- are written in one transaction, in either order).
UPDATE events e SET attempt_id = NULL
  WHERE e.attempt_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.id = e.attempt_id);
--> statement-breakpoint
ALTER TABLE events ADD CONSTRAINT events_attempt_id_fkey
  FOREIGN KEY (attempt_id) REFERENCES attempts(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
-- Deleting a sender never erases its mail history: refused while it has transactions
-- (disable it instead).
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_sender_id_senders_id_fk;
--> statement-breakpoint
ALTER TABLE transactions ADD CONSTRAINT transactions_sender_id_senders_id_fk
  FOREIGN KEY (sender_id) REFERENCES senders(id) ON DELETE RESTRICT;
--> statement-breakpoint
-- One attempt per number per transaction.
DROP INDEX IF EXISTS attempts_transaction_idx;
--> statement-breakpoint
CREATE UNIQUE INDEX attempts_transaction_number_key ON attempts (transaction_id, number);
--> statement-breakpoint
ALTER TABLE attempts ADD CONSTRAINT attempts_outcome_check
  CHECK (outcome IS NULL OR outcome IN ('success', 'temp_failure', 'perm_failure', 'abandoned'));
--> statement-breakpoint
ALTER TABLE transactions ADD CONSTRAINT transactions_final_attempt_reason_check
  CHECK (final_attempt_reason IS NULL OR final_attempt_reason IN (
    'upstream_success', 'upstream_permanent_failure_mail', 'upstream_permanent_failure_rcpt',
    'upstream_permanent_failure_data', 'retry_policy_max_attempts', 'retry_policy_deadline',
    'cancelled', 'downstream_timeout', 'no_retry_policy'));
--> statement-breakpoint
-- Long-polls wait for a new version: a lease renewal or a heartbeat that leaves the version
-- alone wakes nobody, so it notifies nobody.
DROP TRIGGER IF EXISTS transactions_notify ON transactions;
--> statement-breakpoint
CREATE TRIGGER transactions_notify AFTER UPDATE OF version ON transactions
  FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
  EXECUTE FUNCTION koukan_notify_transaction();
