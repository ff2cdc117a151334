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
