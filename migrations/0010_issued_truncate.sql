-- 0010: issued documents are immune to TRUNCATE as they are to UPDATE and
-- DELETE (SPEC section 5). Row triggers never see a TRUNCATE, so `TRUNCATE
-- invoices CASCADE` emptied issued invoices, their credit notes and the credit
-- ledger. A statement-level BEFORE TRUNCATE trigger on each table refuses when
-- the table holds anything issued: any invoice that is not a draft, credits
-- applied by such an invoice, and any credit note, credit-note part or grant
-- (those are never changed once written). Tables holding only drafts (or
-- nothing) may still be truncated. A cascade fires the trigger of every table
-- it reaches, so the whole statement is refused and nothing is emptied.
CREATE FUNCTION refuse_truncate_issued() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    issued boolean;
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        SELECT EXISTS (SELECT 1 FROM invoices WHERE status <> 'draft') INTO issued;
    ELSIF TG_TABLE_NAME = 'invoice_credits' THEN
        SELECT EXISTS (
            SELECT 1 FROM invoice_credits c JOIN invoices i USING (customer_id, period) WHERE i.status <> 'draft'
        ) INTO issued;
    ELSE
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO issued;
    END IF;
    IF issued THEN
        RAISE EXCEPTION '% holds issued documents or ledger rows: it cannot be truncated', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'issue a credit note (tally invoice void / credit-note) instead of removing an issued document';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER invoices_truncate_guard BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
CREATE TRIGGER invoice_credits_truncate_guard BEFORE TRUNCATE ON invoice_credits
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
CREATE TRIGGER credit_notes_truncate_guard BEFORE TRUNCATE ON credit_notes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
CREATE TRIGGER credit_note_lines_truncate_guard BEFORE TRUNCATE ON credit_note_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
CREATE TRIGGER credit_note_taxes_truncate_guard BEFORE TRUNCATE ON credit_note_taxes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
CREATE TRIGGER credit_grants_truncate_guard BEFORE TRUNCATE ON credit_grants
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_issued();
