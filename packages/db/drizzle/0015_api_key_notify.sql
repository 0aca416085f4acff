-- A revoked or deleted API key is announced on the configuration channel (payload 'api_keys'),
-- so every router forgets the principals it remembered at once instead of when its cache
-- expires. Only revocation and deletion: recording a key's last use changes nothing here.
CREATE TRIGGER api_keys_notify AFTER UPDATE OF revoked_at OR DELETE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION koukan_notify_config();
