// libFuzzer target: quote volume, price, discount and floor strings (tally quote's options).
import TallyCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuoteVolume(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? QuoteVolume(parsing: text)
    _ = try? QuotePrice.parse(text)
    _ = try? QuoteBasis.parseDiscount(text)
    _ = try? QuoteRequest.parseFloor(text)
    return 0
}
