#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TallyCore

/// Rejected events, one JSON object per line: `{"line":7,"reason":"…","input":"…"}`.
///
/// Written with plain POSIX calls so that a full disk or a read-only folder
/// is an error naming the file and the system's reason (Foundation's
/// non-throwing `FileHandle.write` traps on ENOSPC), and the ingest that
/// cannot record its rejects fails whole instead of committing without them.
struct RejectsFile {
    private let descriptor: Int32
    /// The path the user named (the file is written aside as `….partial`).
    private let shownPath: String
    private var buffer: [UInt8] = []
    /// Whether ``finish()`` forces the file to disk (see ``UsageIngester/durableRejects``).
    private let durable: Bool

    init(path: String, durable: Bool = true) throws {
        self.durable = durable
        shownPath = path.hasSuffix(".partial") ? String(path.dropLast(".partial".count)) : path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.problem(shownPath, errno) }
        self.descriptor = descriptor
    }

    mutating func write(line: Int, reason: String, input: String) throws {
        buffer += Array("{\"line\":\(line),\"reason\":\(Self.json(reason)),\"input\":\(Self.json(input))}\n".utf8)
        if buffer.count > 1 << 16 { try flush() }
    }

    /// Writes what is buffered; throws the system's reason (no space, read-only, …).
    mutating func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.problem(shownPath, errno)
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Everything written (and on disk, when durable): called before the ingest commits.
    mutating func finish() throws {
        try flush()
        guard durable else { return }
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw Self.problem(shownPath, errno) }
    }

    private var closed = false

    mutating func close() {
        guard !closed else { return }
        closed = true
        try? flush()
        _ = Glibc.close(descriptor)
    }

    private static func problem(_ path: String, _ code: Int32) -> ImportProblem {
        ImportProblem(file: path, line: nil, "cannot write the rejects file: \(String(cString: strerror(code))); nothing was loaded")
    }

    static func json(_ text: String) -> String {
        InvoiceJSON.quoted(text)
    }
}
