-- 0004_catalog_runs: durable catalog runs, one row per dataset of a run, and conditional-GET state.
--
-- A run (the job the API shows at /api/v1/jobs/{id}) is a row of catalog_runs; each dataset the
-- harvest found is a row of catalog_items, written before any work starts. A worker's result is
-- stored in one transaction with the item's status change (and the report it produced), so a run
-- killed at any point resumes with exactly the items not yet done: none is scored twice, none lost.
-- Timestamps are UTC, TIMESTAMP without time zone (passed by the application).

CREATE TABLE catalog_runs (
    id             VARCHAR PRIMARY KEY,   -- uuid4 hex; the job id of the API
    source         VARCHAR NOT NULL,      -- portal URL, catalog file, manifest or folder
    kind           VARCHAR NOT NULL,      -- detected kind: ckan, dcat, datajson, socrata, ods, manifest, dir
    portal         VARCHAR,               -- portal the datasets are scored into, if any
    executor       VARCHAR NOT NULL,      -- inline | process | dask
    metadata_only  BOOLEAN NOT NULL DEFAULT false,
    options_json   JSON,                  -- workers, scheduler address …
    status         VARCHAR NOT NULL,      -- queued | harvesting | running | done | failed
    error          VARCHAR,               -- why a run failed (harvest error); items fail on their own
    total          INTEGER,               -- datasets harvested (NULL until the harvest is complete)
    created_at     TIMESTAMP NOT NULL,
    started_at     TIMESTAMP,             -- first item work began (rate and ETA are measured from here)
    finished_at    TIMESTAMP,
    portal_json    JSON                   -- summary of the portal pass when a portal was given
);

-- One row per dataset of a run. `ordinal` keeps the harvest order; `key` is the dataset id within
-- its catalog. record_json is the harvested record (its raw source record included), so a resumed
-- run needs no re-harvest.
CREATE TABLE catalog_items (
    run_id        VARCHAR NOT NULL,
    ordinal       INTEGER NOT NULL,
    key           VARCHAR NOT NULL,
    title         VARCHAR,
    status        VARCHAR NOT NULL,       -- pending | done | failed (failed = scored with a fatal finding)
    record_json   JSON NOT NULL,
    report_id     VARCHAR,                -- the data report (NULL for metadata-only or no distribution)
    score         DOUBLE,
    band          VARCHAR,
    url           VARCHAR,                -- the distribution that was scored
    http_status   INTEGER,
    error_code    VARCHAR,                -- named outcome when no data was scored (download-failed …)
    outcome_json  JSON,                   -- metadata findings, distributions checked, timings
    attempts      INTEGER NOT NULL DEFAULT 0,
    finished_at   TIMESTAMP,
    PRIMARY KEY (run_id, key)
);

-- Conditional-GET state per URL: a resource whose ETag / Last-Modified is unchanged is neither
-- downloaded nor rescored; its last report is reused.
CREATE TABLE fetch_state (
    url            VARCHAR PRIMARY KEY,
    etag           VARCHAR,
    last_modified  VARCHAR,
    sha256         VARCHAR,
    http_status    INTEGER,
    content_type   VARCHAR,
    report_id      VARCHAR,
    checked_at     TIMESTAMP NOT NULL
);
