/// Interns byte strings (customer ids, models, sites, tags) as small integers,
/// so that the rollup summed while streaming hashes a few integers per event
/// instead of four strings.
struct ByteStringTable {
    /// A byte string hashed in one call over its bytes (an `ArraySlice`'s own
    /// hashing feeds the hasher byte by byte, several times slower).
    struct Key: Hashable {
        let bytes: ArraySlice<UInt8>

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.bytes.count == rhs.bytes.count && lhs.bytes.elementsEqual(rhs.bytes)
        }
    }

    private var indices: [Key: Int32] = [:]
    private(set) var names: [ArraySlice<UInt8>] = []

    init(_ names: some Sequence<String> = [String]()) {
        for name in names { _ = intern(Array(name.utf8)[...]) }
    }

    /// The index of a known string, or nil.
    func index(of bytes: ArraySlice<UInt8>) -> Int32? {
        indices[Key(bytes: bytes)]
    }

    /// The index of a string, added if new (its bytes copied, so the table
    /// does not keep the reader's buffer alive).
    mutating func intern(_ bytes: ArraySlice<UInt8>) -> Int32 {
        if let index = indices[Key(bytes: bytes)] { return index }
        let owned = Array(bytes)[...]
        let index = Int32(names.count)
        names.append(owned)
        indices[Key(bytes: owned)] = index
        return index
    }
}
