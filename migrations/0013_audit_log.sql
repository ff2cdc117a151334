-- 0013: the audit log. Every change made through the API, and the finance
-- changes made from the command line (finalize, void, credit notes,
-- payments, quote acceptance, rate card loads, credit grants, customers),
-- leave one row: who (an API key's name, or the OS user), as what role
-- (`cli` for the command line, else the key's role), what (a stable dotted
-- action name), on what (target) and when. A row is written in the same
-- transaction as the change it describes, so it exists if and only if the
-- change committed. `at` is Tally's clock (TALLY_NOW when set), given by the
-- writer, not the server's now(), so a clock-travel run records its own time.
--
-- Append-only: no row is ever changed or removed, not even by TRUNCATE.
-- No foreign keys: a target may name a customer, an invoice, a key, a card.
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text NOT NULL CHECK (actor <> ''),
    role    text NOT NULL CHECK (role <> ''),
    action  text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
    target  text NOT NULL,
    details jsonb CHECK (details IS NULL OR jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'entries are only ever added, with the change they describe';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_log_truncate_guard BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
