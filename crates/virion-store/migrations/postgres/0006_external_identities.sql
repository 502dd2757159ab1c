-- Single sign-on: an OpenID Connect provider's account (issuer, subject) signs in as one local
-- user, created at its first login. Memberships the provider's claims grant are marked with
-- the issuer, so that a later login can withdraw those the claims no longer grant while
-- memberships given on the node itself stay.
CREATE TABLE external_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
ALTER TABLE memberships ADD COLUMN granted_by TEXT;
