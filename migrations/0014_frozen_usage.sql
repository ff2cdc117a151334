-- 0014: usage billed on an issued invoice is frozen (issue 16). Raw events
-- and hourly rollup rows whose billing month is closed for their customer
-- (that customer's invoice of the month is not a draft, or the whole month
-- is in closed_periods) cannot be updated or deleted: what an issued invoice
-- billed stays provable from the events (`tally usage verify`). Ingest still
-- INSERTs: late usage of a closed month gets a later, open billing month
-- (docs/usage.md), so its rollup upserts never touch a frozen row. Only
-- UPDATE, DELETE and TRUNCATE are refused; the documented way to correct an
-- issued invoice is a credit note (docs/invoices.md).
--
-- Citus (docs/usage.md): row triggers on distributed tables are not
-- propagated by default, and this one reads `invoices`; on a cluster the
-- guard is kept on the coordinator's tables, shards rely on access control.
CREATE FUNCTION usage_billing_month_closed(p_customer text, p_month date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM invoices WHERE customer_id = p_customer AND period = p_month AND status <> 'draft')
        OR EXISTS (SELECT 1 FROM closed_periods WHERE month = p_month)
$$;

CREATE FUNCTION refuse_frozen_usage_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF usage_billing_month_closed(OLD.customer_id, OLD.billing_month)
       OR (TG_OP = 'UPDATE' AND usage_billing_month_closed(NEW.customer_id, NEW.billing_month)) THEN
        RAISE EXCEPTION 'usage of customer % billed in % is frozen: that month''s invoice is issued', OLD.customer_id,
                        to_char(CASE WHEN usage_billing_month_closed(OLD.customer_id, OLD.billing_month)
                                     THEN OLD.billing_month ELSE NEW.billing_month END, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'usage of an issued month cannot be edited; correct the invoice with a credit note (tally invoice credit-note)';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

-- On the partitioned table the row trigger is cloned to every partition,
-- present and future.
CREATE TRIGGER usage_events_frozen BEFORE UPDATE OR DELETE ON usage_events
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_usage_change();
CREATE TRIGGER usage_hourly_frozen BEFORE UPDATE OR DELETE ON usage_hourly
    FOR EACH ROW EXECUTE FUNCTION refuse_frozen_usage_change();

-- Row triggers never see a TRUNCATE (see 0010): refuse it when anything of a
-- closed billing month is in the table.
CREATE FUNCTION refuse_truncate_frozen_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen boolean;
BEGIN
    SELECT EXISTS (
        SELECT 1 FROM usage_hourly h
        WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = h.customer_id AND i.period = h.billing_month AND i.status <> 'draft')
           OR EXISTS (SELECT 1 FROM closed_periods c WHERE c.month = h.billing_month)
    ) INTO frozen;
    IF frozen THEN
        RAISE EXCEPTION '% holds usage billed on issued invoices: it cannot be truncated', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER usage_events_truncate_guard BEFORE TRUNCATE ON usage_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_frozen_usage();
CREATE TRIGGER usage_hourly_truncate_guard BEFORE TRUNCATE ON usage_hourly
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_frozen_usage();
