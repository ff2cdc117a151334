import Foundation
import TallyCore

/// Writes an accepted quote's custom card as YAML in exactly the format
/// ``RateCardFile`` reads (an override card: `base`, per version a
/// `discount_percent` and flat `models` prices), so the card is reviewed and
/// loaded like every other card in `rates/`.
///
/// An existing file gets a version appended as text (its comments and layout
/// stay); the caller parses the result back before using it.
public enum QuoteCardFile {
    /// A new file: a comment, the card's keys and all its versions.
    public static func newFile(card: RateCard, comment: [String], notes: [UTCTimestamp: String]) -> String {
        var text = comment.map { "# \($0)\n" }.joined()
        text += "card: \(scalar(card.id))\n"
        if let base = card.base { text += "base: \(scalar(base))\n" }
        text += "currency: \(card.currency.code)\n"
        if !card.description.isEmpty { text += "description: \(quoted(card.description))\n" }
        text += "versions:\n"
        for version in card.versions { text += block(version, note: notes[version.effectiveFrom], indent: "  ") }
        return text
    }

    /// `text` with `version` appended to its `versions` list, indented like
    /// the list's existing items.
    public static func appending(_ version: RateCard.Version, note: String?, to text: String) -> String {
        var indent = "  "
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("- effective_from:") {
                indent = String(repeating: " ", count: line.count - trimmed.count)
                break
            }
        }
        return (text.hasSuffix("\n") || text.isEmpty ? text : text + "\n") + block(version, note: note, indent: indent)
    }

    /// One version as a list item at `indent`.
    static func block(_ version: RateCard.Version, note: String?, indent: String) -> String {
        let inner = indent + "  "
        var text = "\(indent)- effective_from: \(version.effectiveFrom)\n"
        if let note { text += "\(inner)# \(note)\n" }
        if version.discountPercent != nil || version.prices.isEmpty {
            text += "\(inner)discount_percent: \(version.discountPercent ?? .zero)\n"
        }
        if !version.prices.isEmpty {
            text += "\(inner)models:\n"
            for (model, classes) in version.prices.sorted(by: { $0.key < $1.key }) {
                text += "\(inner)  \(scalar(model)):\n"
                for (tokenClass, price) in classes.sorted(by: { $0.key < $1.key }) {
                    text += "\(inner)    \(tokenClass.rawValue): \(price.bands[0].price)\n"
                }
            }
        }
        return text
    }

    /// A name as a plain YAML scalar when that is safe, else double-quoted.
    static func scalar(_ name: String) -> String {
        name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#, options: .regularExpression) != nil ? name : quoted(name)
    }

    /// A YAML double-quoted scalar: a JSON string is one, so the JSON
    /// renderer's escaper (control characters included) serves.
    static func quoted(_ text: String) -> String {
        InvoiceJSON.quoted(text)
    }
}
