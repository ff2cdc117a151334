-- 0011: the numbering counters are as protected as the documents they number
-- (SPEC section 5: gapless, strictly sequential numbers per issuer and year).
-- A deleted or truncated counter would restart a series at 000001 (finalize
-- then fails on a duplicate number, or worse, reuses one); a lowered counter
-- would hand out a number twice; a counter moved to another issuer, kind or
-- year would break two series at once; a lowered last issue date would let a
-- document be dated before the last one of its series. Finalization only ever
-- inserts a counter or raises it by one, and keeps the latest issue date.
CREATE FUNCTION guard_document_sequences() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'document numbering counters cannot be deleted: numbers are gapless and never reused'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'a counter only grows, by finalizing invoices and issuing credit notes';
    END IF;
    IF NEW.issuer IS DISTINCT FROM OLD.issuer OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.year IS DISTINCT FROM OLD.year THEN
        RAISE EXCEPTION 'the numbering counter %-% of issuer % cannot move to another issuer, kind or year', OLD.kind, OLD.year, OLD.issuer
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.last_number < OLD.last_number THEN
        RAISE EXCEPTION 'the numbering counter %-% of issuer % cannot go back from % to %: numbers are never reused',
            OLD.kind, OLD.year, OLD.issuer, OLD.last_number, NEW.last_number
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF OLD.last_issue_date IS NOT NULL AND (NEW.last_issue_date IS NULL OR NEW.last_issue_date < OLD.last_issue_date) THEN
        RAISE EXCEPTION 'the numbering counter %-% of issuer % cannot go back from its last issue date %: numbers run in date order',
            OLD.kind, OLD.year, OLD.issuer, OLD.last_issue_date
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER document_sequences_guard BEFORE UPDATE OR DELETE ON document_sequences
    FOR EACH ROW EXECUTE FUNCTION guard_document_sequences();
CREATE TRIGGER document_sequences_truncate_guard BEFORE TRUNCATE ON document_sequences
    FOR EACH STATEMENT EXECUTE FUNCTION guard_document_sequences();
