-- 0003_portals: dataset signatures (MinHash), LSH band keys, portals, their datasets, the
-- history of portal scores and the clusters each portal pass found.
--
-- Signatures are keyed by the resource's sha256: the same bytes have the same signatures in
-- every portal. hash_id names how they were made (item hash + MinHash scheme); a pass compares
-- only signatures with the current hash_id. Band keys are the LSH buckets of the row MinHash:
-- the portal pass finds candidate pairs with one self-join on (kind, band, key).

CREATE TABLE signatures (
    sha256           VARCHAR PRIMARY KEY,
    hash_id          VARCHAR NOT NULL,
    rows             BIGINT NOT NULL,
    columns          INTEGER NOT NULL,
    content_hash     VARCHAR NOT NULL,   -- order/encoding/format independent hash of the normalised rows
    row_minhash      BLOB NOT NULL,      -- uint32 × num_perm, little endian (datasketch affine32)
    header_json      JSON NOT NULL,      -- normalised labels
    header_minhash   BLOB NOT NULL,
    key_fields_json  JSON NOT NULL,      -- 1-based fields of the key columns
    key_minhash      BLOB NOT NULL,
    key_distinct     BIGINT NOT NULL,
    column_minhash   BLOB NOT NULL,      -- columns × num_perm uint32
    column_json      JSON NOT NULL,      -- {"distinct": [...], "shift": [...]}
    created_at       TIMESTAMP NOT NULL
);

CREATE TABLE signature_bands (
    sha256   VARCHAR NOT NULL,
    hash_id  VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL,           -- 'row'
    band     SMALLINT NOT NULL,
    key      UBIGINT NOT NULL
);

CREATE TABLE portals (
    id          VARCHAR PRIMARY KEY,     -- uuid4 hex
    name        VARCHAR NOT NULL UNIQUE,
    kind        VARCHAR,                 -- dir, ckan, dcat, ...
    source      VARCHAR,                 -- folder name or catalog URL (display only)
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE portal_datasets (
    portal_id            VARCHAR NOT NULL,
    key                  VARCHAR NOT NULL,   -- stable id within the portal (relative path, catalog id)
    title                VARCHAR,
    name                 VARCHAR NOT NULL,   -- file name or URL
    url                  VARCHAR,
    sha256               VARCHAR,            -- resource scored (NULL when nothing could be fetched)
    report_id            VARCHAR,            -- reports.id
    score                DOUBLE,
    band                 VARCHAR,
    metadata_json        JSON NOT NULL,
    extra_findings_json  JSON NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (portal_id, key)
);

-- One row per portal pass: the history of a portal's score (its trend), with the full report.
CREATE TABLE portal_runs (
    id               VARCHAR PRIMARY KEY,
    portal_id        VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    scoring_version  VARCHAR NOT NULL,
    score            DOUBLE NOT NULL,
    band             VARCHAR NOT NULL,
    datasets         INTEGER NOT NULL,
    fragmentation    DOUBLE,
    report_json      JSON NOT NULL
);

CREATE TABLE portal_clusters (
    run_id         VARCHAR NOT NULL,
    ordinal        INTEGER NOT NULL,
    kind           VARCHAR NOT NULL,     -- duplicate, contained, republished, near-duplicate, series
    size           INTEGER NOT NULL,
    datasets_json  JSON NOT NULL,        -- keys of the datasets in the cluster
    detail_json    JSON NOT NULL,
    PRIMARY KEY (run_id, ordinal)
);
