-- Per-sender fairness in the engine's claim: each sender's earliest due transactions.
CREATE INDEX IF NOT EXISTS "transactions_sender_due_idx" ON "transactions" USING btree ("sender_id","next_attempt_at") WHERE "transactions"."status" = 'queued' and "transactions"."next_attempt_at" is not null;
