-- The console's sign-in rate limit moves from each process's memory into the database, so that
-- it holds across console replicas (better-auth's `rateLimit` model with `storage: 'database'`):
-- one row per client address and path, counted with a conditional UPDATE.
CREATE TABLE "auth_rate_limits" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"count" integer NOT NULL,
	"last_request" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "auth_rate_limits_key_key" ON "auth_rate_limits" USING btree ("key");
--> statement-breakpoint
CREATE INDEX "auth_rate_limits_last_request_idx" ON "auth_rate_limits" USING btree ("last_request");
