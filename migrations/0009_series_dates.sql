-- 0009: numbers run in date order. Each number series (issuer, kind, year)
-- remembers the issue date of its last document, so a document dated before
-- it is refused (an auditor reads INV-2026-000007 as issued no earlier than
-- INV-2026-000006).
ALTER TABLE document_sequences ADD COLUMN last_issue_date date;

UPDATE document_sequences s SET last_issue_date = (
    SELECT max(d) FROM (
        SELECT issue_date AS d FROM invoices
        WHERE number LIKE s.kind || '-' || lpad(s.year::text, 4, '0') || '-%'
        UNION ALL
        SELECT issue_date FROM credit_notes
        WHERE number LIKE s.kind || '-' || lpad(s.year::text, 4, '0') || '-%'
    ) issued);
