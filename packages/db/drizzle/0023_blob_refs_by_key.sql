-- The blob reference triggers change each blob by key, one at a time in blob order. As one
-- UPDATE … FROM joined with the statement's transition table, the plan PL/pgSQL keeps for the
-- session was made while `blobs` was young (a few pages, or never analysed): it read the whole
-- table for every statement that added a reference (1,127 sequential scans, 1.6 M rows read, in
-- `bench/smtp-latency.ts 4000 20`), slower with every message. In blob order, two statements
-- that touch the same blobs also lock them in the same order.
CREATE OR REPLACE FUNCTION koukan_blob_refs_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT blob_id, count(*)::int AS n FROM added WHERE blob_id IS NOT NULL
      GROUP BY 1 ORDER BY 1 LOOP
    UPDATE blobs SET ref_count = ref_count + r.n, updated_at = now() WHERE id = r.blob_id;
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION koukan_blob_refs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT blob_id, count(*)::int AS n FROM removed WHERE blob_id IS NOT NULL
      GROUP BY 1 ORDER BY 1 LOOP
    UPDATE blobs SET ref_count = ref_count - r.n, updated_at = now() WHERE id = r.blob_id;
  END LOOP;
  RETURN NULL;
END $$;
