-- Blob references become rows with foreign keys (issue 14), instead of ids inside JSON plus a
-- reference count that every caller kept by hand (and `greatest(ref_count - n, 0)` clamped, so a
-- double release went unseen).
--
-- transaction_blobs: one row per blob a transaction holds (its rfc822 body, the parts of a
-- message-builder body, an exploder upstream's share of its downstream's body). Deleting the
-- transaction deletes its rows; a referenced blob cannot be deleted (NO ACTION).
CREATE TABLE transaction_blobs (
  transaction_id uuid NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
  blob_id uuid NOT NULL REFERENCES blobs(id),
  CONSTRAINT transaction_blobs_pkey PRIMARY KEY (transaction_id, blob_id)
);
--> statement-breakpoint
CREATE INDEX transaction_blobs_blob_idx ON transaction_blobs (blob_id);
--> statement-breakpoint
INSERT INTO transaction_blobs (transaction_id, blob_id)
  SELECT id, body_blob_id FROM transactions WHERE body_blob_id IS NOT NULL
  UNION
  SELECT t.id, (p->>'blob_id')::uuid
  FROM transactions t, jsonb_array_elements(t.body_spec->'blobs') p
  WHERE jsonb_typeof(t.body_spec->'blobs') = 'array'
    AND p->>'blob_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    AND EXISTS (SELECT 1 FROM blobs b WHERE b.id = (p->>'blob_id')::uuid);
--> statement-breakpoint
-- The body a transaction reads is one of its references (checked at commit: a statement may
-- write the transaction before its reference row).
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_body_blob_id_blobs_id_fk;
--> statement-breakpoint
ALTER TABLE transactions ADD CONSTRAINT transactions_body_blob_fkey
  FOREIGN KEY (id, body_blob_id) REFERENCES transaction_blobs (transaction_id, blob_id)
  DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
-- A sandbox inbox row holds its copy's blob the same way: the blob stays while the row does.
ALTER TABLE sandbox_messages DROP CONSTRAINT IF EXISTS sandbox_messages_blob_id_blobs_id_fk;
--> statement-breakpoint
ALTER TABLE sandbox_messages ADD CONSTRAINT sandbox_messages_blob_id_blobs_id_fk
  FOREIGN KEY (blob_id) REFERENCES blobs(id);
--> statement-breakpoint
CREATE INDEX sandbox_messages_blob_idx ON sandbox_messages (blob_id) WHERE blob_id IS NOT NULL;
--> statement-breakpoint
-- ref_count is now derived: the number of rows above that name the blob, kept by the triggers
-- below (one UPDATE per statement), never written by the code. It only feeds the collector's
-- index of unreferenced blobs; the foreign keys refuse to delete a blob that is referenced.
UPDATE blobs b SET ref_count = n.refs, updated_at = now()
  FROM (
    SELECT b2.id,
      (SELECT count(*) FROM transaction_blobs r WHERE r.blob_id = b2.id)
      + (SELECT count(*) FROM sandbox_messages s WHERE s.blob_id = b2.id) AS refs
    FROM blobs b2
  ) n
  WHERE b.id = n.id AND b.ref_count <> n.refs;
--> statement-breakpoint
CREATE FUNCTION koukan_blob_refs_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE blobs b SET ref_count = b.ref_count + a.n, updated_at = now()
    FROM (SELECT blob_id, count(*)::int AS n FROM added WHERE blob_id IS NOT NULL GROUP BY 1) a
    WHERE b.id = a.blob_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION koukan_blob_refs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE blobs b SET ref_count = b.ref_count - r.n, updated_at = now()
    FROM (SELECT blob_id, count(*)::int AS n FROM removed WHERE blob_id IS NOT NULL GROUP BY 1) r
    WHERE b.id = r.blob_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER transaction_blobs_added AFTER INSERT ON transaction_blobs
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION koukan_blob_refs_added();
--> statement-breakpoint
CREATE TRIGGER transaction_blobs_removed AFTER DELETE ON transaction_blobs
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION koukan_blob_refs_removed();
--> statement-breakpoint
CREATE TRIGGER sandbox_messages_blob_added AFTER INSERT ON sandbox_messages
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION koukan_blob_refs_added();
--> statement-breakpoint
CREATE TRIGGER sandbox_messages_blob_removed AFTER DELETE ON sandbox_messages
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION koukan_blob_refs_removed();
--> statement-breakpoint
-- A sender's output chain names a real chain: renaming the chain follows, deleting a chain a
-- sender uses is refused. A name that matched no chain ran no chain already; it becomes null.
UPDATE senders s SET output_chain = NULL
  WHERE output_chain IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chains c WHERE c.name = s.output_chain);
--> statement-breakpoint
ALTER TABLE senders ADD CONSTRAINT senders_output_chain_fkey
  FOREIGN KEY (output_chain) REFERENCES chains(name) ON UPDATE CASCADE ON DELETE RESTRICT;
--> statement-breakpoint
CREATE INDEX senders_output_chain_idx ON senders (output_chain) WHERE output_chain IS NOT NULL;
