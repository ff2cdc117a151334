-- 0002: supply side. What capacity costs (SPEC section 3).
-- Amounts are numeric (exact); times are timestamptz (UTC); every table is
-- keyed by the id its CSV file carries, so re-imports are idempotent upserts.

CREATE TABLE sites (
    id       text PRIMARY KEY,
    provider text NOT NULL,
    country  text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TABLE gpu_types (
    id          text PRIMARY KEY,
    memory_gb   integer NOT NULL CHECK (memory_gb > 0),
    description text NOT NULL DEFAULT ''
);

-- Reserved contracts cost every second of [starts_at, ends_at), used or not.
CREATE TABLE reserved_contracts (
    id                 text PRIMARY KEY,
    site_id            text NOT NULL REFERENCES sites (id),
    gpu_type_id        text NOT NULL REFERENCES gpu_types (id),
    gpu_count          integer NOT NULL CHECK (gpu_count > 0),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL CHECK (ends_at > starts_at),
    price_per_gpu_hour numeric NOT NULL CHECK (price_per_gpu_hour >= 0),
    upfront_fee        numeric NOT NULL DEFAULT 0 CHECK (upfront_fee >= 0)
);

-- Spot and on-demand purchases: billed per second until ends_at or preempted_at.
CREATE TABLE capacity_purchases (
    id                 text PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('spot', 'on_demand')),
    site_id            text NOT NULL REFERENCES sites (id),
    gpu_type_id        text NOT NULL REFERENCES gpu_types (id),
    gpu_count          integer NOT NULL CHECK (gpu_count > 0),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL CHECK (ends_at > starts_at),
    price_per_gpu_hour numeric NOT NULL CHECK (price_per_gpu_hour >= 0),
    preempted_at       timestamptz CHECK (preempted_at IS NULL OR (preempted_at >= starts_at AND preempted_at <= ends_at))
);

-- One unit of `currency` is worth `rate` units of the reporting currency on `day`
-- (and after, until the next rate).
CREATE TABLE fx_rates (
    day      date NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    rate     numeric NOT NULL CHECK (rate > 0),
    PRIMARY KEY (currency, day)
);

-- The serving fleet's record: GPUs of a pool each model used in an hour.
CREATE TABLE allocations (
    hour                timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
    site_id             text NOT NULL REFERENCES sites (id),
    gpu_type_id         text NOT NULL REFERENCES gpu_types (id),
    model               text NOT NULL,
    gpus_used           numeric NOT NULL CHECK (gpus_used >= 0),
    input_tokens        bigint CHECK (input_tokens >= 0),
    cached_input_tokens bigint CHECK (cached_input_tokens >= 0),
    output_tokens       bigint CHECK (output_tokens >= 0),
    PRIMARY KEY (hour, site_id, gpu_type_id, model)
);

-- Compute weights per model for splitting cost across token classes
-- (defaults 1 / 0.1 / 4 when a model has no row).
CREATE TABLE model_compute_weights (
    model         text PRIMARY KEY,
    input_weight  numeric NOT NULL CHECK (input_weight >= 0),
    cached_weight numeric NOT NULL CHECK (cached_weight >= 0),
    output_weight numeric NOT NULL CHECK (output_weight >= 0)
);

-- Months whose figures are final (invoices finalized): supply rows that
-- touch them may not change any more.
CREATE TABLE closed_periods (
    month     date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    reason    text NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now()
);

-- Partial-day slots read raw allocations of one pool over a few hours.
CREATE INDEX allocations_pool_hour ON allocations (site_id, gpu_type_id, hour);

-- Daily rollup of allocations per pool and model: what `tally cost` reads for
-- whole-day slots instead of every hourly row. Kept exact by the statement
-- triggers below, whatever writes to allocations (importer or hand-written SQL).
CREATE TABLE allocation_days (
    site_id             text NOT NULL,
    gpu_type_id         text NOT NULL,
    model               text NOT NULL,
    day                 date NOT NULL,
    gpu_hours           numeric NOT NULL,
    peak_gpus           numeric NOT NULL,
    input_tokens        bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    -- The day's hours (0-23, UTC) with GPUs used, and those GPUs: what slots
    -- shorter than a day (spot windows) are summed from.
    hours               smallint[] NOT NULL,
    hourly_gpus         numeric[] NOT NULL,
    PRIMARY KEY (day, site_id, gpu_type_id, model)
);

-- Regroups the (pool, model, UTC day) keys touched by a statement.
CREATE FUNCTION refresh_allocation_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS touched_allocation_days (
        site_id text, gpu_type_id text, model text, day date) ON COMMIT DROP;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO touched_allocation_days
        SELECT DISTINCT site_id, gpu_type_id, model, (hour AT TIME ZONE 'UTC')::date FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO touched_allocation_days
        SELECT DISTINCT site_id, gpu_type_id, model, (hour AT TIME ZONE 'UTC')::date FROM old_rows;
    END IF;
    DELETE FROM allocation_days d USING touched_allocation_days t
    WHERE d.day = t.day AND d.site_id = t.site_id AND d.gpu_type_id = t.gpu_type_id AND d.model = t.model;
    INSERT INTO allocation_days
    SELECT a.site_id, a.gpu_type_id, a.model, t.day, sum(a.gpus_used), max(a.gpus_used),
           coalesce(sum(a.input_tokens), 0), coalesce(sum(a.cached_input_tokens), 0), coalesce(sum(a.output_tokens), 0),
           array_agg(extract(hour FROM a.hour AT TIME ZONE 'UTC')::smallint ORDER BY a.hour),
           array_agg(a.gpus_used ORDER BY a.hour)
    FROM (SELECT DISTINCT * FROM touched_allocation_days) t
    JOIN allocations a ON a.site_id = t.site_id AND a.gpu_type_id = t.gpu_type_id AND a.model = t.model
                      AND a.hour >= t.day::timestamp AT TIME ZONE 'UTC'
                      AND a.hour < (t.day + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY a.site_id, a.gpu_type_id, a.model, t.day;
    DELETE FROM touched_allocation_days;
    RETURN NULL;
END
$$;

CREATE TRIGGER allocation_days_insert AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_allocation_days();
CREATE TRIGGER allocation_days_update AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_allocation_days();
CREATE TRIGGER allocation_days_delete AFTER DELETE ON allocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION refresh_allocation_days();
