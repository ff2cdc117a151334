-- 0004: customers (SPEC section 4/5).

CREATE TABLE customers (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name          text NOT NULL CHECK (name <> ''),
    billing_email text NOT NULL CHECK (billing_email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    country       text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    vat_id        text CHECK (vat_id <> ''),
    -- standard: the country's rate; reverse_charge: EU B2B with a VAT id, 0% and the legal note; exempt.
    tax_treatment text NOT NULL CHECK (tax_treatment IN ('standard', 'reverse_charge', 'exempt')),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    card_id       text NOT NULL DEFAULT 'public' REFERENCES rate_cards (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (tax_treatment <> 'reverse_charge' OR vat_id IS NOT NULL)
);
