-- Console, part 2 (operations): the chain revision that ran each attempt, revision comments,
-- the retry-queue reply pattern, the held queue, the audit log's filters and the sandbox inbox.
ALTER TABLE "attempts" ADD COLUMN "chain_name" text;
--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "chain_version" integer;
--> statement-breakpoint
ALTER TABLE "chain_revisions" ADD COLUMN "comment" text DEFAULT '' NOT NULL;
--> statement-breakpoint
-- The held queue, oldest hold first (few rows: only what operators parked).
CREATE INDEX "transactions_held_idx" ON "transactions" USING btree ("updated_at","id") WHERE "status" = 'held';
--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor","id" DESC);
--> statement-breakpoint
CREATE INDEX "audit_log_entity_id_idx" ON "audit_log" USING btree ("entity_type","entity_id","id" DESC);
--> statement-breakpoint
DROP INDEX IF EXISTS "audit_log_entity_idx";
--> statement-breakpoint
-- The reply that explains where a transaction stands: the first failing answer (MAIL, then
-- the first failing RCPT), else DATA's, else MAIL's. NULL when nothing answered yet.
CREATE OR REPLACE FUNCTION koukan_last_reply(mail jsonb, rcpt jsonb, data jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    CASE WHEN (mail ->> 'code')::int >= 300 THEN mail END,
    (SELECT r FROM jsonb_array_elements(CASE WHEN jsonb_typeof(rcpt) = 'array' THEN rcpt ELSE '[]'::jsonb END) r
      WHERE jsonb_typeof(r) = 'object' AND (r ->> 'code')::int >= 300 LIMIT 1),
    CASE WHEN jsonb_typeof(data) = 'object' THEN data END,
    CASE WHEN jsonb_typeof(mail) = 'object' THEN mail END)
$$;
--> statement-breakpoint
-- A reply text with what varies per message masked, so that replies group: addresses,
-- IP addresses, host names and any token holding a digit (ids, counts, dates). A leading
-- enhanced status code (4.2.2) is kept as it is.
CREATE OR REPLACE FUNCTION koukan_mask_reply(msg text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    lower(msg),
    '<?[^\s<>@"'';,()\[\]]+@[^\s<>@"'';,()\[\]]+>?', '<addr>', 'g'),
    '\m\d{1,3}(\.\d{1,3}){3}\M|\m[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}', '<ip>', 'g'),
    '\m[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}\M', '<host>', 'g'),
    '[a-z0-9._/+=-]*[0-9][a-z0-9._/+=-]*', '#', 'g'),
    '\s+', ' ', 'g')), 200)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_reply_pattern(msg text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN msg IS NULL THEN NULL
    WHEN msg ~ '^[245]\.\d{1,3}\.\d{1,3}(\s|$)'
      THEN substring(msg FROM '^\S+') || rtrim(' ' || koukan_mask_reply(substring(msg FROM '^\S+\s*(.*)$')))
    ELSE koukan_mask_reply(msg)
  END
$$;
--> statement-breakpoint
-- The retry queue's group keys, kept with the row (computed only while the transaction waits,
-- is held or failed; NULL otherwise and when nothing answered yet), so that grouping and bulk
-- selection never run the regular expressions at query time. Adding them rewrites the table.
ALTER TABLE "transactions" ADD COLUMN "reply_code" integer GENERATED ALWAYS AS (CASE WHEN status IN ('queued', 'held', 'failed') THEN (koukan_last_reply(mail_response, rcpt_response, data_response) ->> 'code')::int END) STORED;
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "reply_pattern" text GENERATED ALWAYS AS (CASE WHEN status IN ('queued', 'held', 'failed') THEN koukan_reply_pattern(koukan_last_reply(mail_response, rcpt_response, data_response) ->> 'message') END) STORED;
--> statement-breakpoint
-- A waiting group's messages in id order: the drill-down and each batch of a bulk action.
CREATE INDEX "transactions_waiting_group_idx" ON "transactions" USING btree (split_part("rcpt_addresses"[1], '@', 2),"reply_code","reply_pattern","id") WHERE "status" = 'queued' AND "next_attempt_at" IS NOT NULL;
--> statement-breakpoint
-- The sandbox inbox: what `sandbox` filters kept, per mailbox, newest first.
CREATE TABLE "sandbox_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"mailbox" text NOT NULL,
	"transaction_id" uuid,
	"sender" text NOT NULL,
	"mail_from" text NOT NULL,
	"rcpt_to" text[] NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"message_id" text,
	"blob_id" uuid,
	"size" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sandbox_messages" ADD CONSTRAINT "sandbox_messages_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "sandbox_messages" ADD CONSTRAINT "sandbox_messages_blob_id_blobs_id_fk" FOREIGN KEY ("blob_id") REFERENCES "public"."blobs"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "sandbox_messages_mailbox_idx" ON "sandbox_messages" USING btree ("mailbox","created_at" DESC,"id" DESC);
--> statement-breakpoint
CREATE INDEX "sandbox_messages_created_idx" ON "sandbox_messages" USING btree ("created_at" DESC,"id" DESC);
