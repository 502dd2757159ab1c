-- A submission id names one row of its submission; the store checks this as rows stream in
-- (by hash, confirmed here) and the index makes that confirmation and the rule itself cheap.
CREATE UNIQUE INDEX entries_submission_key ON entries(submission_id, submission_key);
