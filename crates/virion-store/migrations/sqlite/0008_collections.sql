-- Citable collections: a name, a description, authors and an exact, frozen list of released
-- accession.versions. A change is a new version; versions are never updated or deleted.
CREATE TABLE collections (
    id           TEXT NOT NULL,
    version      BIGINT NOT NULL CHECK (version >= 1),
    organism_id  BIGINT NOT NULL REFERENCES organisms(id),
    owner_id     BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    authors      TEXT NOT NULL,
    query        TEXT NOT NULL,
    member_count BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX collections_owner ON collections(owner_id);

CREATE TABLE collection_members (
    collection_id      TEXT NOT NULL,
    collection_version BIGINT NOT NULL,
    accession          TEXT NOT NULL REFERENCES entries(accession),
    version            BIGINT NOT NULL,
    PRIMARY KEY (collection_id, collection_version, accession),
    FOREIGN KEY (collection_id, collection_version) REFERENCES collections(id, version)
);
