-- A client that lost the answer to a submission retries with the same Idempotency-Key; the
-- key is stored with the submission in its own transaction, so a retry finds the submission
-- (and its accessions) instead of storing the genomes twice. The request's hash tells a
-- retry from another request that reuses the key by mistake.
ALTER TABLE submissions ADD COLUMN idempotency_key TEXT;
ALTER TABLE submissions ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX submissions_idempotency ON submissions(submitter_id, idempotency_key);
