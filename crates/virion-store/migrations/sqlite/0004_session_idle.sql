-- Browser sessions end after a time without use; API tokens (scripts) do not. A token's last
-- use is recorded at most once a minute, so reads stay reads.
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN idle_limit_ms BIGINT;
