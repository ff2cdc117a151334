import Foundation

/// Reuses `String`s for text cells that repeat down a column (site ids, GPU
/// types, model names): decoding tens of thousands of rows then builds each
/// distinct value once instead of once per row.
public struct StringCache {
    private var entries: [(bytes: [UInt8], string: String)] = []
    private var last = 0
    private let capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    public mutating func string(_ cell: PostgresCell) throws(PostgresError) -> String {
        let bytes = try cell.requireBytes()
        if last < entries.count, matches(entries[last].bytes, bytes) { return entries[last].string }
        for i in entries.indices where matches(entries[i].bytes, bytes) {
            last = i
            return entries[i].string
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if entries.count < capacity {
            entries.append((Array(bytes), string))
            last = entries.count - 1
        }
        return string
    }

    private func matches(_ known: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        known.count == bytes.count && known.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
    }
}

extension PostgresRow {
    /// Decodes a text column through `cache`.
    public func string(_ column: Int, _ cache: inout StringCache) throws(PostgresError) -> String {
        try cache.string(cell(column))
    }
}
