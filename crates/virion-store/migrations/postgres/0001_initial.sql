-- Virion hub schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_initial.sql:
-- the same tables, columns and rules; only types and trigger syntax differ.
-- Times are Unix milliseconds (BIGINT); calendar dates are ISO 'YYYY-MM-DD' text.

CREATE TABLE organisms (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    accession_prefix TEXT NOT NULL UNIQUE,
    reference        BYTEA NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE groups (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    is_admin      BIGINT NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    BIGINT NOT NULL
);

CREATE TABLE memberships (
    group_id BIGINT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('submitter', 'curator', 'consumer')),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE submissions (
    id           BIGSERIAL PRIMARY KEY,
    organism_id  BIGINT NOT NULL REFERENCES organisms(id),
    group_id     BIGINT NOT NULL REFERENCES groups(id),
    submitter_id BIGINT NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL CHECK (kind IN ('submit', 'revise', 'revoke')),
    entry_count  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

-- Accession numbers are drawn from here; gaps after a rollback are harmless.
CREATE TABLE accession_counter (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    next_value BIGINT NOT NULL
);
INSERT INTO accession_counter (id, next_value) VALUES (1, 1);
-- PostgreSQL draws accession numbers from a sequence so concurrent submissions do not queue
-- behind one counter row; the table above is kept for parity.
CREATE SEQUENCE accession_numbers START 1;

CREATE TABLE entries (
    accession     TEXT PRIMARY KEY,
    organism_id   BIGINT NOT NULL REFERENCES organisms(id),
    group_id      BIGINT NOT NULL REFERENCES groups(id),
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    submission_key TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX entries_group ON entries(group_id);

-- Compressed sequences, named after the version that first brought them; a metadata-only
-- revision points at its predecessor's blob.
CREATE TABLE sequence_blobs (
    id          TEXT PRIMARY KEY,
    organism_id BIGINT NOT NULL REFERENCES organisms(id),
    raw_length  BIGINT NOT NULL,
    compressed  BYTEA NOT NULL
);

CREATE TABLE versions (
    accession          TEXT NOT NULL REFERENCES entries(accession),
    version            BIGINT NOT NULL CHECK (version >= 1),
    is_revocation      BIGINT NOT NULL DEFAULT 0 CHECK (is_revocation IN (0, 1)),
    submitted_metadata TEXT NOT NULL,
    sequence_blob_id   TEXT REFERENCES sequence_blobs(id),
    submission_id      BIGINT NOT NULL REFERENCES submissions(id),
    submitter_id       BIGINT NOT NULL REFERENCES users(id),
    submitted_at       BIGINT NOT NULL,
    version_comment    TEXT,
    status             TEXT NOT NULL CHECK (status IN
                         ('RECEIVED', 'IN_PROCESSING', 'PROCESSED', 'APPROVED', 'RELEASED')),
    pipeline_version   BIGINT,
    processed_at       BIGINT,
    approved_by        BIGINT REFERENCES users(id),
    approved_at        BIGINT,
    released_at        BIGINT,
    release_seq        BIGINT UNIQUE,
    PRIMARY KEY (accession, version),
    CHECK (is_revocation = 1 OR sequence_blob_id IS NOT NULL)
);
CREATE INDEX versions_status ON versions(status);

-- One row per (version, pipeline version): reprocessing adds rows, never rewrites them.
CREATE TABLE processing_results (
    accession         TEXT NOT NULL,
    version           BIGINT NOT NULL,
    pipeline_version  BIGINT NOT NULL,
    dataset_version   TEXT NOT NULL,
    result            TEXT NOT NULL CHECK (result IN ('OK', 'WARNINGS', 'ERRORS')),
    processed_data    TEXT NOT NULL,
    errors            TEXT NOT NULL,
    warnings          TEXT NOT NULL,
    processed_at      BIGINT NOT NULL,
    PRIMARY KEY (accession, version, pipeline_version),
    FOREIGN KEY (accession, version) REFERENCES versions(accession, version) ON DELETE CASCADE
);

CREATE TABLE data_use_terms (
    id               BIGSERIAL PRIMARY KEY,
    accession        TEXT NOT NULL REFERENCES entries(accession),
    terms            TEXT NOT NULL CHECK (terms IN ('OPEN', 'RESTRICTED')),
    restricted_until TEXT,
    changed_by       BIGINT NOT NULL REFERENCES users(id),
    changed_at       BIGINT NOT NULL,
    CHECK ((terms = 'OPEN') = (restricted_until IS NULL))
);
CREATE INDEX data_use_terms_accession ON data_use_terms(accession, id);

CREATE TABLE jobs (
    id               BIGSERIAL PRIMARY KEY,
    accession        TEXT NOT NULL,
    version          BIGINT NOT NULL,
    pipeline_version BIGINT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('QUEUED', 'CLAIMED', 'DONE')),
    claimed_by       TEXT,
    lease_expires_at BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    enqueued_at      BIGINT NOT NULL,
    finished_at      BIGINT,
    UNIQUE (accession, version, pipeline_version),
    FOREIGN KEY (accession, version) REFERENCES versions(accession, version) ON DELETE CASCADE
);
CREATE INDEX jobs_claimable ON jobs(state, lease_expires_at);

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   BIGINT,
    action    TEXT NOT NULL,
    group_id  BIGINT,
    accession TEXT,
    version   BIGINT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_accession ON audit_log(accession, version);

-- Immutability of versions, enforced below the application as well as in it.
CREATE FUNCTION virion_status_rank(s TEXT) RETURNS INT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE s WHEN 'RECEIVED' THEN 0 WHEN 'IN_PROCESSING' THEN 1 WHEN 'PROCESSED' THEN 2
                WHEN 'APPROVED' THEN 3 ELSE 4 END
$$;

CREATE FUNCTION virion_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ('APPROVED', 'RELEASED') THEN
      RAISE EXCEPTION 'virion: approved and released versions are never deleted';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.accession IS DISTINCT FROM OLD.accession
     OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.is_revocation IS DISTINCT FROM OLD.is_revocation
     OR NEW.submitted_metadata IS DISTINCT FROM OLD.submitted_metadata
     OR NEW.sequence_blob_id IS DISTINCT FROM OLD.sequence_blob_id
     OR NEW.submission_id IS DISTINCT FROM OLD.submission_id
     OR NEW.submitter_id IS DISTINCT FROM OLD.submitter_id
     OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
     OR NEW.version_comment IS DISTINCT FROM OLD.version_comment THEN
    RAISE EXCEPTION 'virion: submitted part of a version is immutable';
  END IF;
  IF virion_status_rank(NEW.status) < virion_status_rank(OLD.status)
     OR (NEW.status IS DISTINCT FROM OLD.status AND EXISTS (SELECT 1 FROM versions v
           WHERE v.accession = OLD.accession AND v.version > OLD.version)) THEN
    RAISE EXCEPTION 'virion: status only moves forward, and only on the newest version';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER versions_guard BEFORE UPDATE OR DELETE ON versions
FOR EACH ROW EXECUTE FUNCTION virion_versions_guard();

CREATE FUNCTION virion_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'virion: % rows are immutable', TG_TABLE_NAME;
END
$$;

CREATE TRIGGER processing_results_immutable BEFORE UPDATE ON processing_results
FOR EACH ROW EXECUTE FUNCTION virion_reject_change();

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION virion_reject_change();

-- The processing pipeline version new jobs are queued for; reprocessing raises it.
CREATE TABLE pipeline_state (
    id              BIGINT PRIMARY KEY CHECK (id = 1),
    current_version BIGINT NOT NULL
);
INSERT INTO pipeline_state (id, current_version) VALUES (1, 1);
