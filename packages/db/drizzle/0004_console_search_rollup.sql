-- The console's search and dashboard (issue 11).
-- Trigram indexes for address prefix search; pg_trgm is a contrib extension on PostgreSQL and
-- a PGlite extension loaded by packages/db/src/embedded.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- The body's Message-ID and Subject headers, stored when the body is (for search and the list).
ALTER TABLE "transactions" ADD COLUMN "message_id" text;
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "subject" text;
--> statement-breakpoint
-- Recipient domains and the recipients as one text, for the domain filter and the prefix search
-- (immutable, so they can be indexed; rcpt_addresses is already lower-cased).
CREATE OR REPLACE FUNCTION koukan_rcpt_domains(addrs text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(DISTINCT substring(a FROM '@([^@]*)$')), '{}'::text[])
        FROM unnest(addrs) AS a WHERE a LIKE '%@%' $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_rcpt_text(addrs text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT ' ' || array_to_string(addrs, ' ') $$;
--> statement-breakpoint
-- List indexes order like the list (created_at DESC NULLS LAST, id DESC NULLS LAST, as drizzle
-- writes `.desc()` and as 0000's transactions_created_idx is), so a page is an index range.
CREATE INDEX "transactions_status_created_idx" ON "transactions" ("status", "created_at" DESC NULLS LAST, "id" DESC NULLS LAST);
--> statement-breakpoint
CREATE INDEX "transactions_sender_status_created_idx" ON "transactions" ("sender_id", "status", "created_at" DESC NULLS LAST, "id" DESC NULLS LAST);
--> statement-breakpoint
CREATE INDEX "transactions_rcpt_domain_idx" ON "transactions" USING gin (koukan_rcpt_domains("rcpt_addresses"));
--> statement-breakpoint
CREATE INDEX "transactions_rcpt_trgm_idx" ON "transactions" USING gin (koukan_rcpt_text("rcpt_addresses") gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "transactions_mail_from_trgm_idx" ON "transactions" USING gin (lower("mail_from"->>'m') gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "transactions_message_id_idx" ON "transactions" ("message_id") WHERE "message_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "transactions_final_reason_created_idx" ON "transactions" ("final_attempt_reason", "created_at" DESC NULLS LAST, "id" DESC NULLS LAST) WHERE "final_attempt_reason" IS NOT NULL;
--> statement-breakpoint
-- Per minute, per sender, per outcome (accepted, delivered, deferred, failed, cancelled):
-- maintained by the router's rollup job from the timeline, read by the dashboard.
CREATE TABLE "delivery_rollup" (
  "minute" timestamp with time zone NOT NULL,
  "sender_id" uuid NOT NULL REFERENCES "senders"("id") ON DELETE CASCADE,
  "outcome" text NOT NULL,
  "count" integer NOT NULL,
  CONSTRAINT "delivery_rollup_pkey" PRIMARY KEY ("minute", "sender_id", "outcome")
);
--> statement-breakpoint
-- Deferrals per minute, per recipient domain, per reply: the dashboard's top deferring domains.
CREATE TABLE "deferral_rollup" (
  "minute" timestamp with time zone NOT NULL,
  "domain" text NOT NULL,
  "reply_code" integer NOT NULL,
  "reply_text" text NOT NULL,
  "count" integer NOT NULL,
  CONSTRAINT "deferral_rollup_pkey" PRIMARY KEY ("minute", "domain", "reply_code", "reply_text")
);
--> statement-breakpoint
-- How far the rollup has read the timeline: events up to `watermark` are counted; `pending_upto`
-- is the events id sequence as it was at `pending_at`, counted once no transaction that could
-- still insert below it is open.
CREATE TABLE "rollup_state" (
  "name" text PRIMARY KEY NOT NULL,
  "watermark" bigint DEFAULT 0 NOT NULL,
  "pending_upto" bigint,
  "pending_at" timestamp with time zone,
  "updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
