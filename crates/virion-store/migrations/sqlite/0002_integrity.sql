-- A submission id names one row of its submission; the store checks this as rows stream in
-- (by hash, confirmed here) and the index makes that confirmation and the rule itself cheap.
CREATE UNIQUE INDEX entries_submission_key ON entries(submission_id, submission_key);

-- Entries discarded before release leave their submission; counting them keeps "every
-- acknowledged entry is stored or was discarded" checkable (`Store::verify`).
ALTER TABLE submissions ADD COLUMN discarded_count BIGINT NOT NULL DEFAULT 0;

-- Processing pipelines: a fingerprint of the code and datasets that produce results. A new
-- fingerprint queues every version for reprocessing under a new pipeline version; reads keep
-- the current version's results until the new one is complete, then switch in one
-- transaction (pipeline_state.current_version).
CREATE TABLE pipeline_versions (
    version     BIGINT PRIMARY KEY,
    fingerprint TEXT UNIQUE,
    description TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    switched_at BIGINT
);
INSERT INTO pipeline_versions (version, fingerprint, created_at, switched_at) VALUES (1, NULL, 0, 0);
CREATE INDEX jobs_pipeline ON jobs(pipeline_version, state, id);
