-- 0010_private_uploads: uploads are private by default and belong to their uploader.
--
-- A report is no longer unique per (sha256, scoring version, options): the same bytes uploaded by
-- two people are two reports, each under its uploader's file name. DuckDB cannot alter a UNIQUE
-- constraint, so the table is rebuilt with the same columns and three more:
--   copy_of              '' for the report scored from the bytes; for another uploader's copy of a
--                        stored report, the copy's own id (copies never collide). It is part of the UNIQUE key: two scorings of
--                        the same bytes at once still store one scored report.
--   listed               true: shown in "Recent reports" and GET /api/v1/reports (published with a
--                        portal or administrator key); false: reachable only by its (uuid4) id.
--   delete_token_sha256  sha256 of the delete token given to the uploader (NULL: no token).
-- Reports stored before this migration are unlisted: they were uploaded without a choice.
CREATE TABLE reports_v10 (
    id                   VARCHAR PRIMARY KEY,  -- report["id"] (uuid4 hex)
    resource_sha256      VARCHAR,              -- report["source"]["sha256"]; NULL when no bytes were obtained
    scoring_version      VARCHAR NOT NULL,
    options_key          VARCHAR NOT NULL DEFAULT '',
    name                 VARCHAR,              -- file name or URL, as this uploader gave it
    url                  VARCHAR,
    score                DOUBLE,
    band                 VARCHAR,
    created_at           TIMESTAMP NOT NULL,   -- UTC, from report["created_at"]
    report_json          JSON NOT NULL,
    listed               BOOLEAN NOT NULL DEFAULT false,
    delete_token_sha256  VARCHAR,
    copy_of              VARCHAR NOT NULL DEFAULT '',
    UNIQUE (resource_sha256, scoring_version, options_key, copy_of)
);

INSERT INTO reports_v10 (id, resource_sha256, scoring_version, options_key, name, url, score, band,
                         created_at, report_json, listed, delete_token_sha256)
SELECT id, resource_sha256, scoring_version, options_key, name, url, score, band,
       created_at, report_json, false, NULL
FROM reports;

DROP TABLE reports;
ALTER TABLE reports_v10 RENAME TO reports;
