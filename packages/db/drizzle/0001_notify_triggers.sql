-- Wake-up hints for other processes: long-polls waiting on a transaction, and replicas
-- waiting for configuration changes. Notifications are only hints (the embedded database
-- does not deliver them across connections); every waiter also polls.
CREATE OR REPLACE FUNCTION koukan_notify_transaction() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('koukan_transactions', NEW.id::text || ':' || NEW.version::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER transactions_notify AFTER INSERT OR UPDATE ON transactions
  FOR EACH ROW EXECUTE FUNCTION koukan_notify_transaction();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_notify_config() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('koukan_config', TG_TABLE_NAME);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER senders_notify AFTER INSERT OR UPDATE OR DELETE ON senders
  FOR EACH STATEMENT EXECUTE FUNCTION koukan_notify_config();
--> statement-breakpoint
CREATE TRIGGER chains_notify AFTER INSERT OR UPDATE OR DELETE ON chains
  FOR EACH STATEMENT EXECUTE FUNCTION koukan_notify_config();
