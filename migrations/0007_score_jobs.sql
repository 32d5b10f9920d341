-- 0007_score_jobs: durable scoring jobs of uploads (POST /api/v1/score and the web form).
--
-- A fresh upload is stored as a blob, then one row here is written before any scoring starts; the
-- scoring workers take the rows in `seq` order (fair FIFO). A job a crash left queued or running is
-- scored again from its blob at the next start: the report is keyed by (sha256, scoring version,
-- options), so a job scored twice still maps to one stored report. Timestamps are UTC, TIMESTAMP
-- without time zone (passed by the application).

CREATE TABLE score_jobs (
    id            VARCHAR PRIMARY KEY,     -- uuid4 hex; the job id of GET /api/v1/jobs/{id}
    seq           BIGINT NOT NULL,         -- FIFO order: 1, 2, … (given under the write lock)
    status        VARCHAR NOT NULL,        -- queued | running | done | failed
    origin        VARCHAR NOT NULL,        -- api | web
    sha256        VARCHAR NOT NULL,        -- the blob scored
    name          VARCHAR NOT NULL,        -- file name as uploaded (display only)
    bytes         BIGINT NOT NULL,
    blob_path     VARCHAR NOT NULL,
    options_json  JSON,                    -- store_rows, expectations / schema texts, portal
    report_id     VARCHAR,                 -- set when done
    error         VARCHAR,                 -- why a job failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP
);
