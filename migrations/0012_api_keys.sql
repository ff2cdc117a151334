-- 0012: API keys of `tally serve` (docs/api.md). A key is a random secret
-- shown once by `tally keys create`; only its SHA-256 (hex) is kept, so a
-- copy of the database does not hand out access. A revoked key stays (its
-- name is never reused, the audit log names it) with `revoked_at` set; the
-- server looks the key up on every request, so a revocation holds from the
-- next request on. A plain table keyed by name, no cross-table references:
-- it can be a reference table on a distributed (Citus) database.
CREATE TABLE api_keys (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    role       text NOT NULL CHECK (role IN ('ingest', 'finance', 'sales', 'ops', 'admin')),
    key_hash   text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
