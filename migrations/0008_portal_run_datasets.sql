-- 0008_portal_run_datasets: the datasets of a portal run in rows of their own, so the report of
-- a portal of a million datasets is read a page at a time (GET /api/v1/portals/{id}?datasets_limit=…)
-- instead of one JSON document holding every dataset. A run stored from now on keeps its report in
-- portal_runs.report_json without the datasets list (its `datasets_total` says how many there are);
-- runs stored before keep theirs inside report_json, and are paged from it.
--
-- No primary key: the rows of a run are appended once, in one statement, and read by run_id (DuckDB's
-- zone maps find them; an index would cost more to build at a million rows than it saves).

CREATE TABLE portal_run_datasets (
    run_id       VARCHAR NOT NULL,
    ordinal      INTEGER NOT NULL,     -- position in dataset key order (the report's default order)
    key          VARCHAR NOT NULL,
    score        DOUBLE,               -- NULL: nothing could be scored (sorted first by "worst")
    detail_json  JSON NOT NULL         -- the dataset's entry of the report
);
