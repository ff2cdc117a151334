/// A stable dotted name of what an audited change did (`invoice.finalize`).
///
/// The names are an interface: tools filter the log on them, so a name once
/// used never changes meaning. New actions are added here, in one place.
public struct AuditAction: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public static let invoiceRun = Self(rawValue: "invoice.run")
    public static let invoiceFinalize = Self(rawValue: "invoice.finalize")
    public static let invoiceVoid = Self(rawValue: "invoice.void")
    public static let invoiceCreditNote = Self(rawValue: "invoice.credit_note")
    public static let invoicePayment = Self(rawValue: "invoice.payment")
    public static let quoteCreate = Self(rawValue: "quote.create")
    public static let quoteAccept = Self(rawValue: "quote.accept")
    public static let ratesLoad = Self(rawValue: "rates.load")
    public static let creditsGrant = Self(rawValue: "credits.grant")
    public static let customersCreate = Self(rawValue: "customers.create")
    public static let customersUpdate = Self(rawValue: "customers.update")
    public static let keysCreate = Self(rawValue: "keys.create")
    public static let keysRevoke = Self(rawValue: "keys.revoke")
    public static let usageIngest = Self(rawValue: "usage.ingest")
    public static let usageArchive = Self(rawValue: "usage.archive")
    public static let usageRestore = Self(rawValue: "usage.restore")
}
