-- Deposition at ENA. An entry gets one row when its newest released version is exported as
-- Webin files, so that nothing is exported twice; importing ENA's receipts fills in the INSDC
-- accessions and the version that carries them (a revision whose comment says so).
CREATE TABLE ena_deposits (
    accession           TEXT PRIMARY KEY REFERENCES entries(accession),
    exported_version    BIGINT NOT NULL,
    export_id           TEXT NOT NULL,
    sample_alias        TEXT NOT NULL UNIQUE,
    assembly_name       TEXT NOT NULL UNIQUE,
    exported_by         BIGINT NOT NULL REFERENCES users(id),
    exported_at         BIGINT NOT NULL,
    study_accession     TEXT,
    sample_accession    TEXT,
    biosample_accession TEXT,
    analysis_accession  TEXT,
    recorded_version    BIGINT,
    recorded_at         BIGINT
);
CREATE INDEX ena_deposits_export ON ena_deposits(export_id);
