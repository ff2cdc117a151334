-- 0006: market reference prices (LiteLLM's public table), for quotes.

CREATE TABLE market_prices (
    source_key          text PRIMARY KEY,         -- the table's key, e.g. deepinfra/meta-llama/Llama-3.3-70B-Instruct
    provider            text NOT NULL,
    model_key           text NOT NULL,            -- normalized name, e.g. llama-3.3-70b (see MarketModelName)
    input_per_million   numeric NOT NULL CHECK (input_per_million >= 0),
    cached_per_million  numeric CHECK (cached_per_million >= 0),
    output_per_million  numeric NOT NULL CHECK (output_per_million >= 0),
    source              text NOT NULL,
    imported_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX market_prices_model ON market_prices (model_key);
