-- 0006_api_keys: API keys that let a portal write to its own data (score into it, run its
-- catalog, store its expectation suites).
--
-- Only a hash of each key is kept: the key itself is shown once, when it is created, and
-- cannot be recovered from the database. A key is never deleted, only revoked, so the audit
-- trail (who had access, until when) stays.
CREATE TABLE api_keys (
    id            VARCHAR PRIMARY KEY,   -- public id of the key (shown in lists, used to revoke)
    portal        VARCHAR NOT NULL,      -- the portal the key may write to
    key_hash      VARCHAR NOT NULL UNIQUE,  -- sha256 (hex) of the whole key
    prefix        VARCHAR NOT NULL,      -- the first characters of the key, to recognise it
    label         VARCHAR,               -- what the key is for, free text
    created_at    TIMESTAMP NOT NULL,    -- UTC
    last_used_at  TIMESTAMP,             -- UTC, updated at most once a minute
    revoked_at    TIMESTAMP              -- UTC; NULL while the key is valid
);
