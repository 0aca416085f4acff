-- The batched statements of the mail path take their rows as one JSON array. Read with
-- jsonb_to_recordset, PostgreSQL estimates every such array at 100 rows (the function's ROWS),
-- where a batch holds 1 to a few: with that estimate a hash join over a sequential scan of
-- `transactions` looked cheaper than index probes while the table held some thousands of rows,
-- and the prepared statements kept that generic plan as the table grew (the exploder's hand-over
-- took 24 ms at 6,000 rows, and more with every message). koukan_batch_rows gives the array's
-- elements with an estimate of 4; STRICT keeps the planner from inlining it (and with it the
-- estimate of jsonb_array_elements). A null array gives no rows, as jsonb_to_recordset did.
CREATE OR REPLACE FUNCTION koukan_batch_rows(rows jsonb) RETURNS SETOF jsonb
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 4
  AS $$ SELECT jsonb_array_elements(rows) $$;
