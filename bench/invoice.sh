#!/usr/bin/env bash
# Benchmark (issue 5): `tally invoice run` for 10,000 customers over a month
# of hourly rollups (30 models, 3 per customer, ~4.3M rollup rows), against
# the baseline measured in the same run: PostgreSQL's bare GROUP BY over the
# same rollups (customer, model; sums of the three token classes).
#   bench/invoice.sh            # CUSTOMERS=10000 by default
source "$(dirname "$0")/common.sh"
customers=${CUSTOMERS:-10000}

"$tally" rates load >&2
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL >&2
INSERT INTO customers (id, name, billing_email, country, vat_id, tax_treatment, currency, card_id)
SELECT 'cust-' || i, 'Customer ' || i, 'billing@cust-' || i || '.example',
       (ARRAY['US', 'DE', 'FR', 'GB', 'JP'])[1 + i % 5], CASE WHEN i % 5 = 2 THEN 'FR40303265045' END,
       CASE WHEN i % 5 = 2 THEN 'reverse_charge' ELSE 'standard' END, 'USD', 'public'
FROM generate_series(1, $customers) i;
-- Each customer uses 3 of the 30 models, active in about one hour in five.
WITH models AS (SELECT array_agg(DISTINCT model ORDER BY model) AS m FROM rate_card_prices WHERE card_id = 'public')
INSERT INTO usage_hourly (customer_id, hour, model, site_id, tag, billing_month, input_tokens, cached_input_tokens, output_tokens, events)
SELECT 'cust-' || c, h, m[1 + (c * 7 + k * 11) % array_length(m, 1)], 'us-ashburn-1', 'key-' || (c % 3), '2026-11-01',
       1000 + (c * h_i) % 90000, (c + h_i) % 5000, 200 + (c * 3 + h_i) % 30000, 1 + h_i % 40
FROM models, generate_series(1, $customers) c, generate_series(0, 2) k,
     generate_series(0, 719) h_i, LATERAL (SELECT timestamptz '2026-11-01 00:00:00+00' + h_i * interval '1 hour' AS h) t
WHERE (c * 31 + h_i * 17 + k * 7) % 5 = 0;
ANALYZE usage_hourly;
SQL
rows=$(psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM usage_hourly")

bare() {
    psql "$DATABASE_URL" -qAt -c "SELECT customer_id, model, sum(input_tokens), sum(cached_input_tokens), sum(output_tokens)
        FROM usage_hourly WHERE billing_month = '2026-11-01' GROUP BY customer_id, model" >/dev/null
}
# Interleaved (bare, run, bare, run, …) so that both see the same moments of
# a shared machine whose speed drifts from one minute to the next.
read -r bare_median bare_min run_median run_min < <(measure_pair bare "$tally" invoice run --period 2026-11)

echo "customers: $customers, rollup rows: $rows"
echo "bare GROUP BY (customer, model):  median ${bare_median} ms (min ${bare_min})"
echo "tally invoice run --period:      median ${run_median} ms (min ${run_min}), $(( customers * 1000 / run_median )) invoices/s"
echo "ratio (run / bare):               $(awk "BEGIN { printf \"%.2f\", $run_median / $bare_median }")  (target: <= 3)"
echo "tally said: $("$tally" invoice run --period 2026-11 | head -2 | tr '\n' ' ')"
