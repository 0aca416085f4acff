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
