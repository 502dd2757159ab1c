-- A submission id names one row of its submission; the store checks this as rows stream in
-- (by hash, confirmed here) and the index makes that confirmation and the rule itself cheap.
CREATE UNIQUE INDEX entries_submission_key ON entries(submission_id, submission_key);

-- Entries discarded before release leave their submission; counting them keeps "every
-- acknowledged entry is stored or was discarded" checkable (`Store::verify`).
ALTER TABLE submissions ADD COLUMN discarded_count BIGINT NOT NULL DEFAULT 0;
