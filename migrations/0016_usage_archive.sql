-- 0016: raw usage events of old months are archived to files and their
-- partition dropped (`tally usage archive`), and can be brought back
-- (`tally usage restore`); the hourly rollup stays (issue 16, docs/usage.md
-- "Retention: archive and restore").
--
-- One row per month whose raw events are archived: the ingester rejects an
-- event of such a month, or whose dedupe window (two months either side)
-- reaches one, as beyond retention, since its id can no longer be looked up;
-- `tally usage verify` refuses it; restore checks that the archive it is
-- given is the one recorded here (the SHA-256 of its MANIFEST).
--
-- Dropping a partition fires no row or TRUNCATE trigger, so the frozen-month
-- guards of 0014 need no bypass: archive removes the raw events of issued
-- months only as a whole partition, after writing and checking the files,
-- and the rollup rows that the invoices were built from are not touched.
--
-- Citus: a small table keyed by month, meant as a reference table.
CREATE TABLE archived_usage_months (
    month           date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    archived_at     timestamptz NOT NULL,
    events          bigint NOT NULL CHECK (events >= 0),
    manifest_sha256 text NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    location        text NOT NULL CHECK (location <> '')
);

-- As in 0005, and refusing a month whose raw events are archived: a
-- partition created for it would take events whose duplicates cannot be
-- seen (restore removes the month from archived_usage_months first, in its
-- transaction).
CREATE OR REPLACE FUNCTION ensure_usage_partition(p_month date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_month <> date_trunc('month', p_month)::date THEN
        RAISE EXCEPTION 'usage partitions start on the first of a month, not %', p_month;
    END IF;
    IF EXISTS (SELECT 1 FROM archived_usage_months WHERE month = p_month) THEN
        RAISE EXCEPTION 'the raw usage events of % are archived: its partition is not created again except by tally usage restore',
                        to_char(p_month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
                   'usage_events_' || to_char(p_month, 'YYYY_MM'), p_month, (p_month + interval '1 month')::date);
END
$$;
