-- 0005: usage events and their hourly rollup (SPEC section 4).

-- Raw events, one partition per UTC month (created on demand by the ingester).
-- The idempotency key is (customer, event id) within the event's month: a
-- re-sent event (same id, same timestamp) is a duplicate and is not counted.
CREATE TABLE usage_events (
    month               date NOT NULL,
    customer_id         text NOT NULL,
    event_id            text NOT NULL,
    occurred_at         timestamptz NOT NULL,
    model               text NOT NULL,
    site_id             text NOT NULL,
    tag                 text NOT NULL DEFAULT '',
    input_tokens        bigint NOT NULL CHECK (input_tokens >= 0),
    cached_input_tokens bigint NOT NULL CHECK (cached_input_tokens >= 0),
    output_tokens       bigint NOT NULL CHECK (output_tokens >= 0),
    -- Arrived after its month was closed (invoices finalized): billed on the
    -- next open invoice as late usage of its own month.
    late                boolean NOT NULL DEFAULT false,
    ingested_at         timestamptz NOT NULL DEFAULT now(),
    -- event_id before customer_id: ids are usually time-ordered (counters,
    -- ULIDs, UUIDv7), so new keys land near each other in the index.
    PRIMARY KEY (month, event_id, customer_id)
) PARTITION BY RANGE (month);

-- Hourly rollup per customer, model, site and API key / project tag: what
-- rating, invoices and reports read (never the raw events). Maintained by
-- the ingester in the same transaction as the events it counts.
CREATE TABLE usage_hourly (
    customer_id         text NOT NULL,
    hour                timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
    model               text NOT NULL,
    site_id             text NOT NULL,
    tag                 text NOT NULL,
    late                boolean NOT NULL,
    input_tokens        bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    events              bigint NOT NULL,
    PRIMARY KEY (customer_id, hour, model, site_id, tag, late)
);

-- Creates the partition of one month if missing. DDL takes no bind
-- parameters, so the month arrives as a function argument and PostgreSQL
-- quotes it (format %L / %I): no value is spliced into SQL by the client.
CREATE FUNCTION ensure_usage_partition(p_month date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_month <> date_trunc('month', p_month)::date THEN
        RAISE EXCEPTION 'usage partitions start on the first of a month, not %', p_month;
    END IF;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
                   'usage_events_' || to_char(p_month, 'YYYY_MM'), p_month, (p_month + interval '1 month')::date);
END
$$;
