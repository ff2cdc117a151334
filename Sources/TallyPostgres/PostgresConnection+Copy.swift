import CLibPQ
import TallyCore

extension PostgresConnection {
    /// Bulk-loads rows with `COPY … FROM STDIN` (text format).
    ///
    /// `sql` must be a `COPY … FROM STDIN` statement without parameters. `write`
    /// appends rows to a ``CopyWriter``, which streams them to the server in
    /// large chunks. If `write` throws, the COPY is aborted (nothing from it is
    /// kept) and the error rethrown. Returns the number of rows loaded.
    @discardableResult
    public func copyIn(_ sql: SQL, _ write: (inout CopyWriter) throws -> Void) throws -> Int {
        var unused: [UInt8]? = nil
        return try copyIn(sql, keeping: &unused, write)
    }

    /// As ``copyIn(_:_:)``, and also returns every byte sent in `kept`, so
    /// that the same rows can be sent again elsewhere (see ``copyIn(_:bytes:)``)
    /// if the server refuses them, without producing them a second time.
    @discardableResult
    public func copyIn(_ sql: SQL, keepingBytesIn kept: inout [UInt8], _ write: (inout CopyWriter) throws -> Void) throws -> Int {
        var buffer: [UInt8]? = kept
        defer { kept = buffer ?? [] }
        return try copyIn(sql, keeping: &buffer, write)
    }

    /// Sends rows already in COPY text format (as kept by
    /// ``copyIn(_:keepingBytesIn:_:)``).
    @discardableResult
    public func copyIn(_ sql: SQL, bytes: [UInt8]) throws -> Int {
        try copyIn(sql) { writer in try writer.append(encoded: bytes) }
    }

    private func copyIn(_ sql: SQL, keeping kept: inout [UInt8]?, _ write: (inout CopyWriter) throws -> Void) throws -> Int {
        precondition(sql.bindings.isEmpty, "COPY takes no parameters")
        _ = try check(
            PQexecParams(handle, sql.text, 0, nil, nil, nil, nil, 0), text: sql.text, name: sql.name,
            expecting: [PGRES_COPY_IN])
        var writer = CopyWriter(connection: handle, statement: sql.label, kept: kept)
        defer { kept = writer.takeKept() }
        do {
            try write(&writer)
            try writer.flush()
        } catch {
            // Abort: the server discards the COPY and reports an error result,
            // which we drain before the caller's error goes up.
            _ = PQputCopyEnd(handle, "aborted by client")
            _ = drainResults(statement: sql.label)
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            let error = PQstatus(handle) == CONNECTION_OK
                ? PostgresError(.copy, Self.trimmed(PQerrorMessage(handle)), statement: sql.label) : Self.lost(handle, statement: sql.label)
            _ = drainResults(statement: sql.label)
            throw error
        }
        let (rows, error) = drainResults(statement: sql.label)
        if let error { throw error }
        return rows
    }

    /// Streams the rows of `COPY … TO STDOUT` (text format) to `body`, one
    /// row per call (its bytes, newline included, valid only during the
    /// call), so a table of any size passes through bounded memory. Returns
    /// the number of rows.
    ///
    /// `sql` must be a `COPY … TO STDOUT` statement without parameters. If
    /// `body` throws, the COPY is cancelled, what the server still sends is
    /// read and dropped (libpq takes no other statement before), and the
    /// error rethrown.
    @discardableResult
    public func copyOut(_ sql: SQL, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        precondition(sql.bindings.isEmpty, "COPY takes no parameters")
        _ = try check(
            PQexecParams(handle, sql.text, 0, nil, nil, nil, nil, 0), text: sql.text, name: sql.name,
            expecting: [PGRES_COPY_OUT])
        var rows = 0
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                do {
                    try body(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                } catch {
                    abandonCopyOut()
                    throw error
                }
                rows += 1
            } else if length == -1 {
                break  // done: the command's result follows
            } else {
                if let buffer { PQfreemem(buffer) }
                let error = PQstatus(handle) == CONNECTION_OK
                    ? PostgresError(.copy, Self.trimmed(PQerrorMessage(handle)), statement: sql.label) : Self.lost(handle, statement: sql.label)
                let (_, serverError) = drainResults(statement: sql.label)
                throw serverError ?? error
            }
        }
        let (_, error) = drainResults(statement: sql.label)
        if let error { throw error }
        return rows
    }

    /// Ends a `COPY … TO STDOUT` the caller no longer reads: asks the server
    /// to cancel it (a cancel that arrives once the server is idle is
    /// ignored by it), then reads and drops what was already sent.
    private func abandonCopyOut() {
        if let cancel = PQgetCancel(handle) {
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &message, Int32(message.count))
            PQfreeCancel(cancel)
        }
        while true {
            var buffer: UnsafeMutablePointer<CChar>? = nil
            let length = PQgetCopyData(handle, &buffer, 0)
            if let buffer { PQfreemem(buffer) }
            if length < 0 { break }
        }
        _ = drainResults(statement: "COPY TO STDOUT (abandoned)")
    }

    /// Reads results until libpq returns NULL, as it requires after COPY;
    /// returns the rows COPY reported and the first error seen.
    private func drainResults(statement: String) -> (Int, PostgresError?) {
        var rows = 0
        var firstError: PostgresError?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if status == PGRES_COPY_IN {
                // Still in COPY (a failed end): end it so the loop can finish.
                _ = PQputCopyEnd(handle, "aborted by client")
            } else if firstError == nil {
                firstError = Self.error(from: result, connection: handle, statement: statement)
            }
            PQclear(result)
        }
        return (rows, firstError)
    }
}

/// Builds COPY text-format rows and streams them in chunks.
///
/// Fields are tab-separated, rows end with a newline, NULL is `\N`, and
/// backslash, tab, newline and carriage return inside values are escaped,
/// so any string arrives as written (NUL bytes are refused).
public struct CopyWriter: ~Copyable {
    private let connection: OpaquePointer
    let statement: String
    var buffer: [UInt8] = []
    var atRowStart = true
    public internal(set) var rowsWritten = 0
    /// Every byte sent, when the caller asked to keep them.
    private var kept: [UInt8]?
    /// Bytes per CopyData message. Small on purpose: the server reads a whole
    /// message before parsing any of it, so with 256 KiB messages the client
    /// and the server took turns (1M events: 7.2 s) where 32 KiB lets them
    /// work at once (3.7-4.5 s; docs/benchmarks.md).
    static let chunkSize = 1 << 15

    init(connection: OpaquePointer, statement: String, kept: [UInt8]? = nil) {
        self.connection = connection
        self.statement = statement
        self.kept = kept
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    mutating func takeKept() -> [UInt8]? {
        defer { kept = nil }
        return kept
    }

    /// Rows already in COPY text format, sent as they are.
    mutating func append(encoded bytes: [UInt8]) throws(PostgresError) {
        precondition(atRowStart, "encoded rows start at a row boundary")
        try flush()
        buffer = bytes
        try flush()
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    /// Bytes already in COPY text format (whole rows, or any part of a
    /// stream of them: the server joins the pieces), sent as they are, in
    /// chunks: how rows read back from `COPY … TO STDOUT` are loaded again.
    public mutating func append(encoded bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        precondition(atRowStart, "encoded bytes are not mixed with fields of an open row")
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try flush() }
    }

    private mutating func separator() {
        if atRowStart { atRowStart = false } else { buffer.append(0x09) }
    }

    /// A text value (escaped), or NULL.
    public mutating func field(_ value: String?) throws(PostgresError) {
        guard let value else {
            separator()
            buffer.append(0x5C)
            buffer.append(0x4E)  // \N
            return
        }
        separator()
        var text = value
        var failure: PostgresError?
        text.withUTF8 { bytes in
            do throws(PostgresError) { try appendText(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// UTF-8 text given as bytes (escaped as in ``field(_:)-(String?)``), without a `String`.
    public mutating func field(utf8 bytes: ArraySlice<UInt8>) throws(PostgresError) {
        separator()
        var failure: PostgresError?
        bytes.withUnsafeBufferPointer { bytes in
            do throws(PostgresError) { try appendText(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Appends text bytes: in one go when nothing needs escaping (the usual
    /// case), else byte by byte with COPY's escapes.
    private mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresError) {
        if !bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
            buffer.append(contentsOf: bytes)
            return
        }
        try appendEscaped(bytes)
    }

    /// Appends bytes with COPY text-format escapes; refuses NUL.
    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresError) {
        for byte in bytes {
            switch byte {
            case 0: throw PostgresError(.invalidParameter, "COPY value contains a NUL byte", statement: statement)
            case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
            case 0x09: buffer.append(0x5C); buffer.append(0x74)
            case 0x0A: buffer.append(0x5C); buffer.append(0x6E)
            case 0x0D: buffer.append(0x5C); buffer.append(0x72)
            default: buffer.append(byte)
            }
        }
    }

    /// An integer, written without allocating.
    public mutating func field(_ value: Int) {
        separator()
        if value == 0 {
            buffer.append(0x30)
            return
        }
        var magnitude = value.magnitude
        if value < 0 { buffer.append(0x2D) }
        let start = buffer.count
        while magnitude > 0 {
            buffer.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        }
        buffer[start...].reverse()
    }

    /// Any encodable value (its text form, escaped), or NULL.
    public mutating func field<T: PostgresEncodable>(_ value: T?) throws(PostgresError) {
        try field(value?.postgresText)
    }

    /// Ends the row; sends a chunk when enough has built up.
    public mutating func endRow() throws(PostgresError) {
        buffer.append(0x0A)
        atRowStart = true
        rowsWritten += 1
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// Appends one whole row of values.
    public mutating func row(_ values: [String?]) throws(PostgresError) {
        for value in values { try field(value) }
        try endRow()
    }

    mutating func flush() throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else {
            if PQstatus(connection) != CONNECTION_OK { throw PostgresConnection.lost(connection, statement: statement) }
            throw PostgresError(.copy, PostgresConnection.trimmed(PQerrorMessage(connection)), statement: statement)
        }
        kept?.append(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
