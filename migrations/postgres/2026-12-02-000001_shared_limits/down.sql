ALTER TABLE import_jobs DROP COLUMN heartbeat_at;
DROP TABLE rate_limits;
