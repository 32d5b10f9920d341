-- 0005_expectation_suites: one Great Expectations suite per portal, applied to that portal's
-- datasets when they are scored into it.
--
-- The suite is kept as validated GX 1.x JSON (a 0.x upload is stored converted). fingerprint is
-- a short hash of its expectations: reports scored with a suite keep it in their options key, so
-- a changed suite is never answered with a report made under the old one.
-- Timestamps are UTC, TIMESTAMP without time zone (passed by the application).
CREATE TABLE expectation_suites (
    portal        VARCHAR PRIMARY KEY,   -- portal name (as in /api/v1/portals/{portal})
    name          VARCHAR NOT NULL,      -- the suite's own name
    fingerprint   VARCHAR NOT NULL,
    expectations  INTEGER NOT NULL,      -- number of expectations
    suite_json    JSON NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    updated_by    VARCHAR                -- public id of the key that stored it, or 'admin'
);
