import TallyCore
import TallyPostgres

/// Rate cards in PostgreSQL: loaded from parsed files, read back as core types.
public struct RateCardStore {
    let db: PostgresConnection

    public init(_ db: PostgresConnection) {
        self.db = db
    }

    public struct LoadSummary: Sendable, Equatable {
        public var cards = 0
        public var versionsAdded = 0
        public var versionsChanged = 0
        public var versionsRemoved = 0
        public var versionsUnchanged = 0
    }

    /// Loads cards in one transaction. Unchanged versions are left alone (a
    /// second load changes nothing); a changed or removed version that an
    /// issued invoice used (locked) is refused, naming card, version and file.
    /// With `audit`, records `rates.load` (target: the card ids) in the same transaction.
    public func load(_ parsed: [RateCardFile.Parsed], audit: AuditActor? = nil) throws -> LoadSummary {
        try db.transaction {
            var summary = LoadSummary()
            var problems: [ImportProblem] = []
            // Bases first, so references hold.
            for item in parsed.sorted(by: { ($0.card.base != nil ? 1 : 0, $0.card.id) < ($1.card.base != nil ? 1 : 0, $1.card.id) }) {
                let card = item.card
                summary.cards += 1
                try db.execute(
                    """
                    INSERT INTO rate_cards (id, currency, base_card_id, description, source_file)
                    VALUES (\(card.id), \(card.currency), \(card.base), \(card.description), \(item.file))
                    ON CONFLICT (id) DO UPDATE SET currency = excluded.currency, base_card_id = excluded.base_card_id,
                        description = excluded.description, source_file = excluded.source_file
                    """)
                let existing = try versions(of: card.id)
                let locked = Set(try db.execute(
                    "SELECT effective_from FROM rate_card_versions WHERE card_id = \(card.id) AND locked_at IS NOT NULL"
                ).map { try $0.decode(0, as: UTCTimestamp.self) })
                let wanted = Dictionary(uniqueKeysWithValues: card.versions.map { ($0.effectiveFrom, $0) })
                for old in existing where wanted[old.effectiveFrom] == nil {
                    if locked.contains(old.effectiveFrom) {
                        problems.append(ImportProblem(file: item.file, line: item.line, column: "versions", value: old.effectiveFrom.description,
                            "version \(old.effectiveFrom) of card '\(card.id)' was used by an issued invoice and cannot be removed"))
                        continue
                    }
                    try db.execute("DELETE FROM rate_card_versions WHERE card_id = \(card.id) AND effective_from = \(old.effectiveFrom)")
                    summary.versionsRemoved += 1
                }
                let byStart = Dictionary(uniqueKeysWithValues: existing.map { ($0.effectiveFrom, $0) })
                for version in card.versions {
                    if let old = byStart[version.effectiveFrom] {
                        if old == version {
                            summary.versionsUnchanged += 1
                            continue
                        }
                        if Self.restatesOnly(old, version) {
                            // The version row (and its lock) stays; only the prices' text changes.
                            try db.execute("DELETE FROM rate_card_prices WHERE card_id = \(card.id) AND effective_from = \(version.effectiveFrom)")
                            try insertPrices(version, of: card.id)
                            summary.versionsChanged += 1
                            continue
                        }
                        if locked.contains(version.effectiveFrom) {
                            problems.append(ImportProblem(file: item.file, line: item.line, column: "effective_from", value: version.effectiveFrom.description,
                                "version \(version.effectiveFrom) of card '\(card.id)' was used by an issued invoice and cannot change; publish a new version instead"))
                            continue
                        }
                        try db.execute("DELETE FROM rate_card_versions WHERE card_id = \(card.id) AND effective_from = \(version.effectiveFrom)")
                        summary.versionsChanged += 1
                    } else {
                        summary.versionsAdded += 1
                    }
                    try insert(version, of: card.id)
                }
            }
            guard problems.isEmpty else { throw ImportError(problems) }
            try AuditStore.record(
                audit, .ratesLoad, target: parsed.map(\.card.id).sorted().joined(separator: ","),
                details: [
                    "cards": String(summary.cards), "versions_added": String(summary.versionsAdded),
                    "versions_changed": String(summary.versionsChanged), "versions_removed": String(summary.versionsRemoved),
                    "versions_unchanged": String(summary.versionsUnchanged),
                ], on: db)
            return summary
        }
    }

    private func insert(_ version: RateCard.Version, of card: String) throws {
        try db.execute(
            """
            INSERT INTO rate_card_versions (card_id, effective_from, discount_percent)
            VALUES (\(card), \(version.effectiveFrom), \(version.discountPercent))
            """)
        try insertPrices(version, of: card)
    }

    /// Prices as the card states them: `numeric` keeps the scale of the text
    /// it is given, so `0.550000` reads back as written.
    private func insertPrices(_ version: RateCard.Version, of card: String) throws {
        try db.copyIn("COPY rate_card_prices (card_id, effective_from, model, token_class, band, tier_mode, up_to, price_per_million) FROM STDIN") { writer in
            for (model, classes) in version.prices.sorted(by: { $0.key < $1.key }) {
                for (tokenClass, price) in classes.sorted(by: { $0.key < $1.key }) {
                    for (band, b) in price.bands.enumerated() {
                        try writer.row([card, version.effectiveFrom.description, model, tokenClass.rawValue, String(band),
                                        price.mode?.rawValue, b.upTo.map(String.init), b.price.description])
                    }
                }
            }
        }
    }

    /// True when `new` differs from `old` only in how its prices are written
    /// (`0.55` → `0.550000`): no price changes, so a locked version may take
    /// it; issued invoices keep the text they were issued with.
    private static func restatesOnly(_ old: RateCard.Version, _ new: RateCard.Version) -> Bool {
        guard old.discountPercent == new.discountPercent, old.prices.keys == new.prices.keys else { return false }
        return old.prices.allSatisfy { model, classes in
            let other = new.prices[model] ?? [:]
            return classes.keys == other.keys && classes.allSatisfy { tokenClass, price in other[tokenClass].map(price.hasSamePrices) ?? false }
        }
    }

    /// All versions of one card, as stored.
    public func versions(of card: String) throws -> [RateCard.Version] {
        var prices: [UTCTimestamp: [String: [TokenClass: (mode: ClassPrice.Mode?, bands: [ClassPrice.Band])]]] = [:]
        for row in try db.execute(
            """
            SELECT effective_from, model, token_class, tier_mode, up_to, price_per_million
            FROM rate_card_prices WHERE card_id = \(card) ORDER BY effective_from, model, token_class, band
            """)
        {
            let start = try row.decode(0, as: UTCTimestamp.self)
            let model = try row.decode(1, as: String.self)
            let tokenClass = TokenClass(rawValue: try row.decode(2, as: String.self))!
            let mode = try row.decode(3, as: String?.self).flatMap(ClassPrice.Mode.init(rawValue:))
            // `numeric` keeps the scale it was given: its text has the card's decimals.
            let band = ClassPrice.Band(upTo: try row.decode(4, as: Int64?.self), price: try StatedPrice(parsing: try row.decode(5, as: String.self)))
            prices[start, default: [:]][model, default: [:]][tokenClass, default: (mode, [])].bands.append(band)
        }
        return try db.execute(
            "SELECT effective_from, discount_percent FROM rate_card_versions WHERE card_id = \(card) ORDER BY effective_from"
        ).map { row in
            let start = try row.decode(0, as: UTCTimestamp.self)
            let models = (prices[start] ?? [:]).mapValues { classes in classes.mapValues { ClassPrice(mode: $0.mode, bands: $0.bands) } }
            return RateCard.Version(effectiveFrom: start, prices: models, discountPercent: try row.decode(1, as: ExactDecimal?.self))
        }
    }

    /// Every card, with its versions.
    public func cards() throws -> [RateCard] {
        try db.execute("SELECT id, currency, base_card_id, description FROM rate_cards ORDER BY id").map { row in
            let id = try row.decode(0, as: String.self)
            return RateCard(id: id, currency: try row.decode(1, as: Currency.self), base: try row.decode(2, as: String?.self),
                            description: try row.decode(3, as: String.self), versions: try versions(of: id))
        }
    }

    /// Freezes a version (an issued invoice used it). Issue 5's finalization calls this.
    public func lock(card: String, version: UTCTimestamp, reason: String) throws {
        try db.execute(
            """
            UPDATE rate_card_versions SET locked_at = coalesce(locked_at, now()), locked_reason = coalesce(locked_reason, \(reason))
            WHERE card_id = \(card) AND effective_from = \(version)
            """)
    }
}
