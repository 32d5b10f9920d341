-- 0002_loaded_rows: the rows ODQ loaded from each resource, kept in DuckDB.
--
-- Each resource's table lives in the schema `data` as data."r_<sha256>", with the spreadsheet
-- row number in "__row" and the cells as text in c1..cN (null: the row was too short to have
-- the cell). The column labels, as written in the file, are rows of resource_columns, so a
-- hostile header never becomes an SQL identifier.
CREATE SCHEMA data;

CREATE TABLE resource_columns (
    resource_sha256  VARCHAR NOT NULL,
    field            INTEGER NOT NULL,   -- 1-based position: column c<field> of the data table
    label            VARCHAR NOT NULL,   -- header label as written
    type             VARCHAR,            -- type inferred by the profiler
    PRIMARY KEY (resource_sha256, field)
);
