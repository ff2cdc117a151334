-- 0003: rate cards (SPEC section 4), loaded from rates/*.yaml by `tally rates load`.

CREATE TABLE rate_cards (
    id           text PRIMARY KEY,
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    base_card_id text REFERENCES rate_cards (id),
    description  text NOT NULL DEFAULT '',
    source_file  text,
    CHECK (base_card_id IS NULL OR base_card_id <> id)
);

-- A version is frozen (locked_at set) once an issued invoice used it.
CREATE TABLE rate_card_versions (
    card_id          text NOT NULL REFERENCES rate_cards (id),
    effective_from   timestamptz NOT NULL CHECK (date_trunc('hour', effective_from) = effective_from),
    discount_percent numeric CHECK (discount_percent >= 0 AND discount_percent <= 100),
    locked_at        timestamptz,
    locked_reason    text,
    PRIMARY KEY (card_id, effective_from)
);

-- One row per band (flat prices: one band, no up_to, no tier mode).
CREATE TABLE rate_card_prices (
    card_id           text NOT NULL,
    effective_from    timestamptz NOT NULL,
    model             text NOT NULL,
    token_class       text NOT NULL CHECK (token_class IN ('input', 'cached_input', 'output')),
    band              integer NOT NULL CHECK (band >= 0),
    tier_mode         text CHECK (tier_mode IN ('graduated', 'volume')),
    up_to             bigint CHECK (up_to > 0),
    price_per_million numeric NOT NULL CHECK (price_per_million >= 0),
    PRIMARY KEY (card_id, effective_from, model, token_class, band),
    FOREIGN KEY (card_id, effective_from) REFERENCES rate_card_versions (card_id, effective_from) ON DELETE CASCADE
);
