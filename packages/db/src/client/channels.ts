/** NOTIFY channels raised by database triggers (see drizzle/0001_notify_triggers.sql). */
export const channels = {
  /** Payload `<transaction id>:<version>` on every insert or update of a transaction. */
  transactions: 'koukan_transactions',
  /** Payload the table name, on any change to senders or chains. */
  config: 'koukan_config',
} as const;
