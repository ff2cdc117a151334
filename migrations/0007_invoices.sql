-- 0007: invoices, credit notes, credits, tax rates, numbering (SPEC section 5).

-- Which month's invoice bills the usage. Usually the month the usage belongs
-- to; for late usage (its customer's invoice of that month was already
-- finalized when it arrived) the first later month whose invoice is still
-- open. Decided at ingest, under the closing lock (see UsageIngester).
ALTER TABLE usage_events ADD COLUMN billing_month date;
UPDATE usage_events SET billing_month = month;
ALTER TABLE usage_events ALTER COLUMN billing_month SET NOT NULL;

ALTER TABLE usage_hourly ADD COLUMN billing_month date;
UPDATE usage_hourly SET billing_month = date_trunc('month', hour AT TIME ZONE 'UTC')::date;
ALTER TABLE usage_hourly ALTER COLUMN billing_month SET NOT NULL;
ALTER TABLE usage_hourly DROP CONSTRAINT usage_hourly_pkey;
ALTER TABLE usage_hourly DROP COLUMN late;
ALTER TABLE usage_hourly ADD PRIMARY KEY (customer_id, hour, model, site_id, tag, billing_month);
ALTER TABLE usage_hourly ADD CHECK (billing_month >= date_trunc('month', hour AT TIME ZONE 'UTC')::date);
-- The invoice run reads one billing month at a time.
CREATE INDEX usage_hourly_billing ON usage_hourly (billing_month, customer_id);

-- Standard tax rates by country, effective-dated (rates/tax/*.yaml).
CREATE TABLE tax_rates (
    country        text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    effective_from date NOT NULL,
    percent        numeric NOT NULL CHECK (percent >= 0 AND percent < 100),
    name           text NOT NULL CHECK (name <> ''),
    PRIMARY KEY (country, effective_from)
);

-- Promotional credits. A ledger: grants are never changed or deleted.
CREATE TABLE credit_grants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    amount      numeric NOT NULL CHECK (amount > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    expires_on  date NOT NULL,
    reason      text NOT NULL CHECK (reason <> ''),
    granted_on  date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One invoice per customer and month. A draft has no number; finalizing
-- gives it one and freezes it (triggers below).
CREATE TABLE invoices (
    customer_id   text NOT NULL REFERENCES customers (id),
    period        date NOT NULL CHECK (extract(day FROM period) = 1),
    status        text NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'void')),
    number        text UNIQUE,
    currency      text NOT NULL,
    issue_date    date,
    due_date      date,
    paid_on       date,
    void_reason   text,
    -- As they were when the invoice was built (finalized: frozen with it).
    issuer        jsonb NOT NULL,
    customer      jsonb NOT NULL,
    -- The invoice's parts, in its row: lines, taxes and the usage breakdown by
    -- tag, as JSON arrays of objects (numbers as exact decimal strings; keys in
    -- docs/invoices.md). One row per invoice keeps the run's writes to one row
    -- per customer (an invoice has a few dozen lines; 10,000 invoices wrote
    -- 220,000 part rows, each with its key and foreign-key checks), and the
    -- guard below freezes them with the header. SQL reads them with
    -- json_to_recordset.
    -- json (checked, kept as written) rather than jsonb, and lz4: 10,000
    -- invoices load in about half the time of jsonb with the default pglz.
    lines         json COMPRESSION lz4 NOT NULL CHECK (json_typeof(lines) = 'array'),
    taxes         json NOT NULL CHECK (json_typeof(taxes) = 'array'),
    tag_usage     json COMPRESSION lz4 NOT NULL CHECK (json_typeof(tag_usage) = 'array'),
    subtotal      numeric NOT NULL,
    credits_total numeric NOT NULL CHECK (credits_total >= 0 AND credits_total <= subtotal),
    tax_total     numeric NOT NULL,
    total         numeric NOT NULL,
    built_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, period),
    CHECK ((status = 'draft') = (number IS NULL)),
    CHECK ((status = 'draft') = (issue_date IS NULL)),
    CHECK ((status = 'paid') = (paid_on IS NOT NULL)),
    CHECK ((status = 'void') = (void_reason IS NOT NULL))
);
CREATE INDEX invoices_period ON invoices (period, status);

CREATE TABLE invoice_credits (
    customer_id text NOT NULL,
    period      date NOT NULL,
    grant_id    bigint NOT NULL REFERENCES credit_grants (id),
    amount      numeric NOT NULL CHECK (amount > 0),
    PRIMARY KEY (customer_id, period, grant_id),
    FOREIGN KEY (customer_id, period) REFERENCES invoices ON DELETE CASCADE
);
CREATE INDEX invoice_credits_grant ON invoice_credits (grant_id);

-- Gapless numbers: one counter per issuer, kind and year, incremented inside
-- the finalizing transaction. Its row lock serializes concurrent finalizers;
-- a rolled-back (or killed) finalization gives its numbers back.
CREATE TABLE document_sequences (
    issuer      text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('INV', 'CN')),
    year        integer NOT NULL,
    last_number integer NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (issuer, kind, year)
);

CREATE TABLE credit_notes (
    number           text PRIMARY KEY,
    customer_id      text NOT NULL,
    period           date NOT NULL,
    invoice_number   text NOT NULL REFERENCES invoices (number),
    issue_date       date NOT NULL,
    reason           text NOT NULL CHECK (reason <> ''),
    is_void          boolean NOT NULL,
    credits_returned numeric NOT NULL,
    net              numeric NOT NULL,
    tax_total        numeric NOT NULL,
    total            numeric NOT NULL,
    FOREIGN KEY (customer_id, period) REFERENCES invoices
);

CREATE TABLE credit_note_lines (
    number       text NOT NULL REFERENCES credit_notes,
    invoice_line integer NOT NULL,
    description  text NOT NULL,
    amount       numeric NOT NULL CHECK (amount > 0),
    PRIMARY KEY (number, invoice_line)
);

CREATE TABLE credit_note_taxes (
    number   text NOT NULL REFERENCES credit_notes,
    category text NOT NULL,
    name     text NOT NULL,
    percent  numeric NOT NULL,
    base     numeric NOT NULL,
    amount   numeric NOT NULL,
    PRIMARY KEY (number, category, percent)
);

-- The database itself refuses to change an issued document (SPEC section 5).
-- An invoice that is not a draft may only move finalized -> paid | void and
-- paid -> void, changing nothing but its status, paid_on and void_reason.
CREATE FUNCTION invoices_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mutable constant text[] := ARRAY['status', 'paid_on', 'void_reason'];
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'invoice % is %: an issued invoice cannot be deleted', OLD.number, OLD.status
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'issue a credit note (tally invoice void / credit-note)';
    END IF;
    IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
       OR NOT ((OLD.status, NEW.status) IN (('finalized', 'finalized'), ('finalized', 'paid'), ('finalized', 'void'),
                                            ('paid', 'paid'), ('paid', 'void'), ('void', 'void')))
       OR (OLD.status = 'void' AND NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION 'invoice % is %: it cannot be changed', OLD.number, OLD.status
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'issue a credit note (tally invoice void / credit-note)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_guard BEFORE UPDATE OR DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION invoices_guard();

-- The credits an invoice applied belong to it: frozen with it. Statement-level,
-- over the transition table: one join per statement. Rows whose invoice is
-- gone (a cascade from deleting a draft) find nothing.
CREATE FUNCTION invoice_credits_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    issued record;
BEGIN
    SELECT i.number, i.status INTO issued
    FROM changed_credits p JOIN invoices i ON i.customer_id = p.customer_id AND i.period = p.period
    WHERE i.status <> 'draft' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invoice % is %: its credits cannot be changed', issued.number, issued.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER invoice_credits_guard_insert AFTER INSERT ON invoice_credits REFERENCING NEW TABLE AS changed_credits
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_credits_guard();
CREATE TRIGGER invoice_credits_guard_update AFTER UPDATE ON invoice_credits REFERENCING NEW TABLE AS changed_credits
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_credits_guard();
CREATE TRIGGER invoice_credits_guard_delete AFTER DELETE ON invoice_credits REFERENCING OLD TABLE AS changed_credits
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_credits_guard();

-- Credit notes, grants and their parts are issued documents / ledger rows: never changed.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows cannot be changed or deleted once written', TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state';
END
$$;
CREATE TRIGGER credit_notes_guard BEFORE UPDATE OR DELETE ON credit_notes FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER credit_note_lines_guard BEFORE UPDATE OR DELETE ON credit_note_lines FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER credit_note_taxes_guard BEFORE UPDATE OR DELETE ON credit_note_taxes FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER credit_grants_guard BEFORE UPDATE OR DELETE ON credit_grants FOR EACH ROW EXECUTE FUNCTION refuse_change();
