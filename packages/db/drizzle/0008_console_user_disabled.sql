ALTER TABLE "auth_users" ADD COLUMN IF NOT EXISTS "disabled_at" timestamp with time zone;
