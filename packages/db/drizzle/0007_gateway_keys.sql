-- A gateway key: the SMTP gateway's own credential. Only a request made with one may set the
-- `session` facts of a transaction (client IP, HELO, TLS, authenticated identity), which
-- received_header, auth_check and policy conditions trust.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS gateway boolean NOT NULL DEFAULT false;
