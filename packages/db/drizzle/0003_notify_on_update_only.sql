-- Long-polls wait on transactions that exist: a new row's notification had no listener to
-- wake, yet every create paid for it (the NOTIFY queue is serialised at commit). Only updates
-- notify now.
DROP TRIGGER IF EXISTS transactions_notify ON transactions;
--> statement-breakpoint
CREATE TRIGGER transactions_notify AFTER UPDATE ON transactions
  FOR EACH ROW EXECUTE FUNCTION koukan_notify_transaction();
