import TallyCore

/// COPY's binary format (`COPY … FROM STDIN WITH (FORMAT binary)`), written
/// by ``PostgresConnection/copyInBinary(_:_:)``.
///
/// Why: with the text format the server parses every value back from text
/// (a timestamp, two dates, three integers and a boolean per usage event);
/// in binary it takes them as they are stored. Values go big-endian, each
/// with its length; dates count days and timestamps microseconds from
/// PostgreSQL's epoch, 2000-01-01. Only the types the bulk loads need are
/// here; the columns of the statement must have exactly these types (the
/// server refuses a row whose field does not fit its column's type).
extension CopyWriter {
    /// 2000-01-01, PostgreSQL's epoch, in days and microseconds from 1970-01-01.
    static let postgresEpochDays = 10_957
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// The signature, flags (none) and header extension (none).
    mutating func binaryHeader() {
        buffer.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])
        appendBigEndian(Int32(0))
        appendBigEndian(Int32(0))
    }

    /// The end of the data: a field count of -1.
    mutating func binaryTrailer() {
        appendBigEndian(Int16(-1))
    }

    /// Starts a row of `fields` values.
    public mutating func binaryRow(fields: Int16) {
        appendBigEndian(fields)
    }

    /// A `text` value: its UTF-8 bytes. NUL, which no PostgreSQL text can
    /// hold, is refused here, as in the text format.
    public mutating func binaryField(utf8 bytes: ArraySlice<UInt8>) throws(PostgresError) {
        if bytes.contains(0) { throw PostgresError(.invalidParameter, "COPY value contains a NUL byte", statement: statement) }
        appendBigEndian(Int32(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    /// A `bigint`.
    public mutating func binaryField(_ value: Int64) {
        appendBigEndian(Int32(8))
        appendBigEndian(value)
    }

    /// A `boolean`.
    public mutating func binaryField(_ value: Bool) {
        appendBigEndian(Int32(1))
        buffer.append(value ? 1 : 0)
    }

    /// A `date`.
    public mutating func binaryField(_ value: CivilDate) {
        appendBigEndian(Int32(4))
        appendBigEndian(Int32(value.daysSinceEpoch - Self.postgresEpochDays))
    }

    /// A `timestamptz`.
    public mutating func binaryField(_ value: UTCTimestamp) {
        appendBigEndian(Int32(8))
        appendBigEndian(value.microsecondsSinceEpoch - Self.postgresEpochMicroseconds)
    }

    /// Ends the row; sends a chunk when enough has built up.
    public mutating func binaryEndRow() throws(PostgresError) {
        rowsWritten += 1
        if buffer.count >= Self.chunkSize { try flush() }
    }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }
}

extension PostgresConnection {
    /// Bulk-loads rows with `COPY … FROM STDIN WITH (FORMAT binary)`: as
    /// ``copyIn(_:_:)``, with `write` making each row by
    /// ``CopyWriter/binaryRow(fields:)``, its `binaryField` values and
    /// ``CopyWriter/binaryEndRow()``.
    @discardableResult
    public func copyInBinary(_ sql: SQL, _ write: (inout CopyWriter) throws -> Void) throws -> Int {
        try copyIn(sql) { writer in
            writer.binaryHeader()
            try write(&writer)
            writer.binaryTrailer()
        }
    }
}
