// libFuzzer target: exact decimals (prices, rates, amounts) from text and bytes.
import TallyCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecimal(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let buffer = UnsafeRawBufferPointer(start: start, count: count)
    let text = String(decoding: buffer, as: UTF8.self)
    for exponent in [false, true] {
        let fromText = try? ExactDecimal(parsing: text, allowExponent: exponent)
        let fromBytes = try? ExactDecimal(utf8: buffer, allowExponent: exponent)
        if let value = fromText {
            // What is printed reads back as the same number.
            guard let again = try? ExactDecimal(parsing: value.description, allowExponent: false), again == value else {
                fatalError("\(value) does not read back")
            }
        }
        if Array(text.utf8) == Array(buffer), (fromText == nil) != (fromBytes == nil) {
            fatalError("text and byte parsers disagree on \(text.debugDescription)")
        }
    }
    return 0
}
