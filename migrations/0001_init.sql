-- 0001: foundation. Settings every later feature reads.
-- Migrations are forward-only: never edit an applied file, add a new one.

CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE settings IS 'Installation-wide settings (reporting currency, issuer, ...).';

-- Costs are reported in this currency (SPEC section 3: default USD).
INSERT INTO settings (key, value) VALUES ('reporting_currency', 'USD');
