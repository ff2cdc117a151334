import Foundation
import TallyCore
import TallyPostgres

/// Turns an accepted quote into the customer's custom card (SPEC §6).
///
/// The card is `rates/custom/<customer>.yaml`, an override card over the
/// quote's base card with the quote's discount and own prices as a new
/// version from `effective_from` (default: the next whole UTC hour). A new
/// file first carries the customer's current prices as earlier versions (so
/// usage before the quote is priced as before); an existing file gets the
/// version appended. The text is parsed back with ``RateCardFile`` before
/// anything is used, then in one transaction the card is loaded
/// (``RateCardStore``), the customer is put on it and the quote is marked
/// accepted; the file is put in place last, inside that transaction, and
/// restored if the commit fails. Nothing is half-written.
public struct QuoteAcceptance {
    let db: PostgresConnection
    /// The rate card folder (`rates/`); the card goes to `custom/` under it.
    let ratesDirectory: String

    static let lock = "tally.quote-accept"

    public init(_ db: PostgresConnection, ratesDirectory: String) {
        self.db = db
        self.ratesDirectory = ratesDirectory
    }

    public struct Result: Sendable {
        public let quote: String
        public let customer: String
        public let card: String
        public let file: String
        public let effectiveFrom: UTCTimestamp
        /// True when the file was created (false: a version was appended).
        public let created: Bool
        public let load: RateCardStore.LoadSummary
        /// Something the user should know (e.g. earlier usage not priced by the card).
        public let notes: [String]
    }

    /// With `audit`, records `quote.accept` in the acceptance's transaction.
    public func accept(
        id: String, customer requested: String? = nil, effective: UTCTimestamp? = nil, now: UTCTimestamp = TallyClock.current.now,
        audit: AuditActor? = nil
    ) throws -> Result {
        let now = UTCTimestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - now.microsecondsSinceEpoch % 1_000_000)
        // One acceptance at a time: two at once could each read the card file
        // and the loaded card, and the second would drop the first's version.
        // A session lock, so everything below (file and database) is covered.
        try db.execute("SELECT pg_advisory_lock(hashtext(\(Self.lock)))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(hashtext(\(Self.lock)))") }
        let quotes = QuoteStore(db)
        guard let record = try quotes.record(id: id, now: now) else {
            throw QuoteError(.notFound, "no quote \(id) (see tally quote list)")
        }
        let quote = record.quote
        switch record.status {
        case .accepted:
            throw QuoteError(.refused, "quote \(id) was already accepted on \(record.acceptedAt!) as card '\(record.acceptedCard ?? "?")'")
        case .expired:
            throw QuoteError(.refused, "quote \(id) expired on \(quote.expiresAt); make a new quote (tally quote …)")
        case .open: break
        }
        if let quoted = quote.customer, let requested, requested != quoted {
            throw QuoteError(.refused, "quote \(id) is for customer '\(quoted)', not '\(requested)'")
        }
        guard let customerID = quote.customer ?? requested else {
            throw QuoteError(.refused, "quote \(id) is for prospect '\(quote.prospect ?? "")': give the customer it becomes, --customer ID (add it first: tally customers add)")
        }
        guard let customer = try CustomerStore(db).customer(id: customerID) else {
            throw QuoteError(.notFound, "no customer '\(customerID)' (add it first: tally customers add)")
        }
        let terms = quote.terms
        guard customer.currency == terms.currency else {
            throw QuoteError(.refused, "quote \(id) is in \(terms.currency); customer '\(customerID)' is billed in \(customer.currency)")
        }
        let start = effective ?? TallyClock.fixed(at: now).nextWholeHour
        guard start.startOfHour == start else { throw QuoteError(.invalidInput, "effective from \(start): must be a whole UTC hour") }
        // A version back-dated before now would reprice usage that already happened.
        guard start >= now.startOfHour else {
            throw QuoteError(.refused, "effective from \(start) is in the past (now \(now)): a new price starts now or later")
        }
        guard start < quote.expiresAt else {
            throw QuoteError(.refused, "effective from \(start) is after the quote expires (\(quote.expiresAt))")
        }

        let cards = Dictionary(uniqueKeysWithValues: try RateCardStore(db).cards().map { ($0.id, $0) })
        guard let base = cards[terms.baseCard], base.base == nil else {
            throw QuoteError(.refused, "the quote's base card '\(terms.baseCard)' is not loaded as a card without a base")
        }
        // The written card names its base; in a folder without the base's file it
        // could never be checked or loaded again (tally rates load <folder>).
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: ratesDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw QuoteError(.invalidInput, """
                the rates folder \(ratesDirectory) \(FileManager.default.fileExists(atPath: ratesDirectory) ? "is not a folder" : "does not exist"): \
                give the rate card folder that holds the quote's base card '\(terms.baseCard)' with --rates (default: TALLY_RATES, else <project>/rates)
                """)
        }
        guard RateCardFile.parseAll(path: ratesDirectory).cards.contains(where: { $0.card.id == terms.baseCard }) else {
            throw QuoteError(.refused, """
                \(ratesDirectory) has no card '\(terms.baseCard)' (the quote's base): a custom card written there would not load; \
                give the rate card folder that holds it with --rates
                """)
        }
        var notes: [String] = []
        // The card bills at `start` against the base version then in force;
        // the quote was priced against the one in force at `pricedAt`.
        if base.version(at: start) != base.version(at: quote.pricedAt) {
            notes.append("""
                card '\(terms.baseCard)' has a new version between the quote's prices (\(quote.pricedAt)) and \(start): \
                the customer will be billed on the new base prices, not the quoted ones; re-quote to check the margin
                """)
        }
        let cardID = customerID
        let folder = (ratesDirectory as NSString).appendingPathComponent("custom")
        let path = (folder as NSString).appendingPathComponent("\(cardID).yaml")
        var newVersion = terms.card(id: cardID, from: start).versions[0]
        if newVersion.prices.isEmpty && newVersion.discountPercent == nil {
            // The base's prices as they are: written as `discount_percent: 0` (a version needs a key).
            newVersion = RateCard.Version(effectiveFrom: start, prices: [:], discountPercent: .zero)
        }
        let note = "from quote \(id), accepted \(now)"
        let old = FileManager.default.fileExists(atPath: path) ? try String(contentsOfFile: path, encoding: .utf8) : nil
        let text: String
        let expectedVersions: Int
        if let old {
            let (parsed, problems) = RateCardFile.parse(path: path)
            guard problems.isEmpty, let existing = parsed.first?.card else { throw ImportError(problems) }
            guard existing.id == cardID, existing.base == terms.baseCard, existing.currency == terms.currency else {
                throw QuoteError(.refused, """
                    \(path) holds card '\(existing.id)' over '\(existing.base ?? "no base")' in \(existing.currency); \
                    the quote needs card '\(cardID)' over '\(terms.baseCard)' in \(terms.currency): change the file by hand
                    """)
            }
            if existing.versions.last == newVersion, try !cardIsLoaded(cardID, with: newVersion) {
                // An acceptance that put the file in place and was killed before
                // its commit: the file already says it; finish the database side.
                text = old
                expectedVersions = existing.versions.count
                notes.append("\(path) already had this quote's version (an acceptance that did not finish): loaded it")
            } else if let last = existing.versions.last, last.effectiveFrom >= start {
                throw QuoteError(.refused, "card '\(cardID)' already has a version from \(last.effectiveFrom); the quote's must start later (--effective)")
            } else {
                text = QuoteCardFile.appending(newVersion, note: note, to: old)
                expectedVersions = existing.versions.count + 1
            }
        } else {
            if let clash = cards[cardID] {
                throw QuoteError(.refused, "a card '\(cardID)' is loaded from another file (\(try cardSource(clash.id) ?? "?")); move it to \(path) first")
            }
            // The customer's prices until the quote takes effect.
            var versions: [RateCard.Version] = []
            let current = cards[customer.card]
            if let current, current.id == terms.baseCard {
                if let first = current.versions.first, first.effectiveFrom < start {
                    versions.append(RateCard.Version(effectiveFrom: first.effectiveFrom, prices: [:], discountPercent: .zero))
                }
            } else if let current, current.base == terms.baseCard {
                versions += current.versions.filter { $0.effectiveFrom < start }
            } else if let current {
                // The customer is on one card for a whole month: a card over
                // another base could not price its usage before the start.
                throw QuoteError(.refused, """
                    customer '\(customerID)' is on card '\(current.id)', which is neither '\(terms.baseCard)' nor an override of it: \
                    card '\(cardID)' could not price its usage before \(start). Quote on the customer's card's base instead
                    """)
            }
            versions.append(newVersion)
            let card = RateCard(id: cardID, currency: terms.currency, base: terms.baseCard,
                                description: "\(customer.name): custom card from accepted quotes", versions: versions)
            var versionNotes = [start: note]
            if versions.count > 1 { versionNotes[versions[0].effectiveFrom] = "prices of card '\(customer.card)' before quote \(id)" }
            text = QuoteCardFile.newFile(
                card: card, comment: ["\(customer.name) (\(customerID)): custom card, written by tally quote accept.",
                                      "Add a version below to change a price; versions used by issued invoices are frozen."],
                notes: versionNotes)
            expectedVersions = versions.count
        }

        // Parse the text back from a file beside the target before using it.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let staging = (folder as NSString).appendingPathComponent(".\(cardID).yaml.\(UUID().uuidString).tmp")
        try text.write(toFile: staging, atomically: false, encoding: .utf8)
        var staged = true
        defer { if staged { try? FileManager.default.removeItem(atPath: staging) } }
        let (parsed, problems) = RateCardFile.parse(path: staging)
        guard problems.isEmpty, let card = parsed.first?.card else {
            throw ImportError(problems.map { ImportProblem(file: path, line: $0.line, column: $0.column, value: $0.value, $0.message) })
        }
        guard card.versions.count == expectedVersions, card.version(at: start) == newVersion else {
            throw QuoteError(.refused, "could not add the quote's version to \(path) (is versions the file's last key?): add it by hand")
        }

        var load = RateCardStore.LoadSummary()
        var placed = false
        do {
            try db.transaction {
                load = try RateCardStore(db).load([RateCardFile.Parsed(card: card, file: path, line: parsed[0].line)])
                try CustomerStore(db).assignCard(customer: customerID, card: cardID)
                try quotes.markAccepted(id: id, customer: customerID, card: cardID, effectiveFrom: start, file: path, at: now)
                try AuditStore.record(
                    audit, .quoteAccept, target: id,
                    details: ["customer": customerID, "card": cardID, "effective_from": start.description, "file": path], on: db)
                // Last step inside the transaction: an error here rolls it all back.
                // rename(2) replaces the file atomically.
                guard rename(staging, path) == 0 else {
                    throw QuoteError(.refused, "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                placed = true
                staged = false
            }
        } catch {
            // The commit failed after the file was put in place: put the old one back.
            if placed {
                if let old { try? old.write(toFile: path, atomically: true, encoding: .utf8) } else { try? FileManager.default.removeItem(atPath: path) }
            }
            throw error
        }
        return Result(quote: id, customer: customerID, card: cardID, file: path, effectiveFrom: start, created: old == nil, load: load, notes: notes)
    }

    /// Whether the loaded card has `version` (same start and terms).
    private func cardIsLoaded(_ id: String, with version: RateCard.Version) throws -> Bool {
        try RateCardStore(db).cards().first { $0.id == id }?.versions.contains(version) ?? false
    }

    private func cardSource(_ id: String) throws -> String? {
        try db.execute("SELECT source_file FROM rate_cards WHERE id = \(id)").first?.decode(0, as: String?.self)
    }
}
