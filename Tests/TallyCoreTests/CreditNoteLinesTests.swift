import Testing
import TallyCore

@Suite("Credit note line specifications (--lines)")
struct CreditNoteLinesTests {
    @Test func readsLinesAloneAndWithAmounts() throws {
        let lines = try CreditNote.requestedLines("2, 5=10.00,7", currency: .usd)
        #expect(lines.count == 3)
        #expect(lines[2] == .some(nil) && lines[7] == .some(nil))
        #expect(lines[5] == .some(Money(try ExactDecimal(parsing: "10"), .usd)))
    }

    /// `1=` used to credit the whole of line 1 and `=5` the whole of line 5.
    @Test(arguments: [
        ("1=", "has no amount after '='"), ("=5", "has no line number"), ("", "is empty"), ("1,,2", "is empty"), ("1,", "is empty"),
        ("x=1", "does not start with a line number"), ("0", "does not start with a line number"), ("-1", "does not start with a line number"),
        ("1=2=3", "more than one '='"), ("1,1=2.00", "a second time"), ("1=abc", "not a decimal number"), ("99999999999", "line number"),
    ])
    func refusesMalformedSpecifications(text: String, why: String) {
        #expect { try CreditNote.requestedLines(text, currency: .usd) } throws: { error in
            let message = (error as? InvoiceError)?.message ?? ""
            return message.contains(why) && message.contains("--lines '\(text)'")
        }
    }
}
