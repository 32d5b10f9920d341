-- 0001_init: resources, reports and the findings and scores they carry.
--
-- Forward-only. The runner (app/storage/migrate.py) executes this file inside
-- one transaction together with the row recording it in odq_migrations, so the
-- file must not contain BEGIN/COMMIT of its own.
--
-- Timestamps are UTC, stored as TIMESTAMP without time zone (the application
-- passes them; no DEFAULT current_timestamp, which would use the session zone).
--
-- No FOREIGN KEYs on purpose: in DuckDB a referenced row cannot be updated or
-- deleted while children exist, which would make retention jobs awkward; and a
-- report of a failed download has no resource row (its resource_sha256 is NULL).

-- One row per distinct content (blob), keyed by its sha256.
CREATE TABLE resources (
    id          VARCHAR PRIMARY KEY,      -- sha256 of the bytes, lowercase hex
    bytes       BIGINT NOT NULL,          -- size in bytes
    format      VARCHAR,                  -- sniffed format (csv, xlsx, json, ...)
    encoding    VARCHAR,                  -- sniffed encoding (utf-8, gb18030, ...)
    first_name  VARCHAR,                  -- file name or URL it was first seen under
    blob_path   VARCHAR,                  -- where the bytes are kept (relative to the data dir)
    created_at  TIMESTAMP NOT NULL        -- UTC, first seen
);

-- One scored report. The full report (DESIGN §8) is kept verbatim in report_json;
-- the other columns are copies of its fields for listing and querying.
CREATE TABLE reports (
    id               VARCHAR PRIMARY KEY,  -- report["id"] (uuid4 hex)
    resource_sha256  VARCHAR,              -- report["source"]["sha256"]; NULL when no bytes were obtained
    scoring_version  VARCHAR NOT NULL,
    options_key      VARCHAR NOT NULL DEFAULT '',  -- hash of the profile options; '' for the defaults
    name             VARCHAR,              -- file name or URL
    url              VARCHAR,
    score            DOUBLE,
    band             VARCHAR,
    created_at       TIMESTAMP NOT NULL,   -- UTC, from report["created_at"]
    report_json      JSON NOT NULL,
    UNIQUE (resource_sha256, scoring_version, options_key)
);

-- One row per entry of report["findings"], in report order (ordinal = index).
CREATE TABLE findings (
    report_id      VARCHAR NOT NULL,
    ordinal        INTEGER NOT NULL,
    code           VARCHAR NOT NULL,
    dimension      VARCHAR,
    severity       VARCHAR,
    level          VARCHAR,
    count          BIGINT,
    share          DOUBLE,
    points_lost    DOUBLE,
    examples_json  JSON,
    PRIMARY KEY (report_id, ordinal)
);

-- One row per dimension of a report, plus dimension = 'overall' for the total.
CREATE TABLE scores (
    report_id        VARCHAR NOT NULL,
    dimension        VARCHAR NOT NULL,
    score            DOUBLE,             -- NULL when the dimension did not apply
    weight           DOUBLE,             -- NULL for 'overall'
    scoring_version  VARCHAR NOT NULL,
    PRIMARY KEY (report_id, dimension)
);
