import TallyCore
import TallyDatabase

/// A customer's credit ledger (`tally credits show`): grants, consumption per
/// invoice, expiry, running balance.
public enum CreditLedgerPresentation {
    public static let jsonKeys = ["date", "entry", "grant", "amount", "balance", "currency", "note"]

    /// One row per entry; `grouped` (the table) adds thousands separators.
    public static func table(_ entries: [CreditStore.LedgerEntry], grouped: Bool) -> TabularOutput {
        let rows = entries.map { e in
            [e.date.description, e.kind.rawValue, e.grantID, Display.amount(e.amount.amount, e.amount.currency, grouped: grouped),
             Display.amount(e.balance.amount, e.balance.currency, grouped: grouped), e.amount.currency.code, e.note]
        }
        return TabularOutput(header: ["date", "entry", "grant", "amount", "balance", "currency", "note"], rows: rows,
                             textColumns: [0, 1, 2, 5, 6])
    }

    /// `tally credits show --format json`.
    public static func json(_ entries: [CreditStore.LedgerEntry]) throws -> String {
        try table(entries, grouped: false).json(keys: jsonKeys)
    }
}
