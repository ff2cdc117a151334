import TallyCore
import TallyPostgres

/// Tax rates in PostgreSQL (`tax_rates`), loaded from `rates/tax/`.
public struct TaxRateStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// Replaces the table with `rates` (one transaction). Invoices keep the
    /// rate they were taxed at, so changing a rate never changes an invoice.
    /// Returns how many rows changed (0 when the files are as loaded).
    @discardableResult
    public func load(_ rates: [TaxRate]) throws -> Int {
        try db.transaction {
            try db.execute(
                """
                CREATE TEMP TABLE IF NOT EXISTS stage_tax_rates (LIKE tax_rates) ON COMMIT DROP
                """)
            try db.execute("TRUNCATE stage_tax_rates")
            try db.copyIn("COPY stage_tax_rates (country, effective_from, percent, name) FROM STDIN") { writer in
                for rate in rates {
                    try writer.field(rate.country)
                    try writer.field(rate.effectiveFrom)
                    try writer.field(rate.percent)
                    try writer.field(rate.name)
                    try writer.endRow()
                }
            }
            let removed = try db.execute(
                """
                DELETE FROM tax_rates t WHERE NOT EXISTS (
                    SELECT 1 FROM stage_tax_rates s WHERE s.country = t.country AND s.effective_from = t.effective_from)
                RETURNING 1
                """).count
            let upserted = try db.execute(
                """
                INSERT INTO tax_rates SELECT * FROM stage_tax_rates
                ON CONFLICT (country, effective_from) DO UPDATE SET percent = excluded.percent, name = excluded.name
                WHERE (tax_rates.percent, tax_rates.name) IS DISTINCT FROM (excluded.percent, excluded.name)
                RETURNING 1
                """).count
            return removed + upserted
        }
    }

    public func table() throws -> TaxTable {
        TaxTable(try db.execute("SELECT country, effective_from, percent, name FROM tax_rates ORDER BY country, effective_from").map {
            TaxRate(country: try $0.decode(0), effectiveFrom: try $0.decode(1), percent: try $0.decode(2), name: try $0.decode(3))
        })
    }
}
