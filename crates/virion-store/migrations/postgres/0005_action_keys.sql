-- Idempotency-Key on approve, revise and revoke: the key, the request's hash and the
-- versions the action made are stored in the action's own transaction, so a client that lost
-- the answer and retries gets the first answer instead of a second revision (or, for
-- `approve` of everything in scope, an approval of versions it never saw).
CREATE TABLE action_keys (
    user_id         BIGINT NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    action          TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    versions        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
