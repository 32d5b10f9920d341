-- 0009_stored_suites: the Great Expectations suite each report's dataset meets, built once when the
-- report is made (in the parsing worker, under its limits) and served as stored by
-- GET /api/v1/reports/{id}/expectations: a request never rebuilds it.
--
-- suite_json is the finished GX 1.x JSON (its meta names the report); basis says what it was built
-- from ('rows': the loaded table). Timestamps are UTC, TIMESTAMP without time zone.
CREATE TABLE report_suites (
    report_id     VARCHAR PRIMARY KEY,   -- reports.id
    basis         VARCHAR NOT NULL,
    expectations  INTEGER NOT NULL,      -- number of expectations
    suite_json    JSON NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
