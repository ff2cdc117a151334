-- 0008: quotes (SPEC section 6). A quote is stored whole, as it was priced:
-- the key figures in columns (numeric, never float) and the full quote as a
-- JSON document whose decimals are strings (docs/quotes.md). Its status is
-- computed: accepted when accepted_at is set, else expired from expires_at,
-- else open.

-- Ids Q-YYYY-NNNNNN: unique and increasing (not gapless: a failed insert
-- uses up its number). YYYY is the year the quote was made.
CREATE SEQUENCE quote_numbers;

CREATE TABLE quotes (
    id                      text PRIMARY KEY CHECK (id ~ '^Q-[0-9]{4}-[0-9]{6,}$'),
    number                  bigint NOT NULL UNIQUE CHECK (number > 0),
    customer_id             text REFERENCES customers (id),
    prospect                text CHECK (prospect <> ''),
    created_at              timestamptz NOT NULL,
    expires_at              timestamptz NOT NULL,
    currency                text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    basis_card_id           text NOT NULL REFERENCES rate_cards (id),
    discount_percent        numeric CHECK (discount_percent >= 0 AND discount_percent <= 100),
    floor_percent           numeric NOT NULL CHECK (floor_percent < 100),
    total_price             numeric NOT NULL CHECK (total_price >= 0),
    total_cost              numeric,            -- NULL: some model has no cost history
    flagged                 boolean NOT NULL,   -- below floor, below cost or unverifiable
    document                json NOT NULL,
    accepted_at             timestamptz,
    accepted_customer_id    text REFERENCES customers (id),
    accepted_card_id        text REFERENCES rate_cards (id),
    accepted_effective_from timestamptz,
    accepted_file           text,
    CHECK ((customer_id IS NULL) <> (prospect IS NULL)),
    CHECK (expires_at > created_at),
    CHECK ((accepted_at IS NULL) = (accepted_card_id IS NULL)),
    CHECK ((accepted_at IS NULL) = (accepted_customer_id IS NULL))
);

CREATE INDEX quotes_created ON quotes (created_at, number);
