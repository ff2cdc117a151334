-- 0015: the rollup's frozen rows carry a flag, so the guard of 0014 costs
-- nothing on the rows ingest updates (issue 15).
--
-- Every usage upsert of a rollup row that exists (most of them, once a
-- month's keys are known) fired 0014's row trigger, which runs its look-ups
-- of invoices and closed_periods per row: it cost the server a third of its
-- ingest rate. Now the rows of a billing month are flagged `frozen` when it
-- closes for their customer (an invoice of that customer and month leaves
-- draft, or the month enters closed_periods), by triggers on those tables, in
-- the closing transaction; and the guard fires only for a frozen row, or for
-- an update that moves a row to another customer or billing month (checked
-- as before). Ingest never touches a frozen row: usage of a closed month gets
-- a later, open billing month (docs/usage.md), under the closing lock. Raw
-- events keep 0014's trigger (ingest only inserts them).
ALTER TABLE usage_hourly ADD COLUMN frozen boolean NOT NULL DEFAULT false;

DROP TRIGGER usage_hourly_frozen ON usage_hourly;
UPDATE usage_hourly SET frozen = true WHERE usage_billing_month_closed(customer_id, billing_month);

-- A frozen row cannot be changed (unfreezing it included) or deleted; no row
-- can be moved into a closed month.
CREATE TRIGGER usage_hourly_frozen_update BEFORE UPDATE ON usage_hourly
    FOR EACH ROW WHEN (OLD.frozen OR (NEW.customer_id, NEW.billing_month) IS DISTINCT FROM (OLD.customer_id, OLD.billing_month))
    EXECUTE FUNCTION refuse_frozen_usage_change();
CREATE TRIGGER usage_hourly_frozen_delete BEFORE DELETE ON usage_hourly
    FOR EACH ROW WHEN (OLD.frozen)
    EXECUTE FUNCTION refuse_frozen_usage_change();

-- Freezing: the update sets only `frozen`, which the guard lets through.
CREATE FUNCTION freeze_usage_of_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE usage_hourly SET frozen = true
    WHERE billing_month = NEW.period AND customer_id = NEW.customer_id AND NOT frozen;
    RETURN NULL;
END
$$;
CREATE TRIGGER invoices_freeze_usage AFTER INSERT OR UPDATE OF status ON invoices
    FOR EACH ROW WHEN (NEW.status <> 'draft')
    EXECUTE FUNCTION freeze_usage_of_invoice();

CREATE FUNCTION freeze_usage_of_month() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE usage_hourly SET frozen = true WHERE billing_month = NEW.month AND NOT frozen;
    RETURN NULL;
END
$$;
CREATE TRIGGER closed_periods_freeze_usage AFTER INSERT ON closed_periods
    FOR EACH ROW EXECUTE FUNCTION freeze_usage_of_month();
