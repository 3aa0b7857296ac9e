-- What several instances on one database must share beyond sessions.

-- Rate limits counted in the database, so every instance spends one budget.
-- A key's state is one time (GCRA's theoretical arrival time, in ms since
-- the Unix epoch): a row whose time has passed is back to a full budget and
-- may be deleted.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    tat BIGINT NOT NULL,
    PRIMARY KEY (bucket, key)
);
CREATE INDEX rate_limits_by_tat ON rate_limits (tat);

-- A running import's server writes this while it works, so another
-- instance starting up can tell a live import from an abandoned one.
ALTER TABLE import_jobs ADD COLUMN heartbeat_at TIMESTAMP;
