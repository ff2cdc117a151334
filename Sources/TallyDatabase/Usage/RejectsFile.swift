#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TallyCore

/// Rejected events, one JSON object per line: `{"line":7,"reason":"…","input":"…"}`;
/// or, for an input held in memory, the rejects themselves (``held``).
///
/// Written with plain POSIX calls so that a full disk or a read-only folder
/// is an error naming the file and the system's reason (Foundation's
/// non-throwing `FileHandle.write` traps on ENOSPC), and the ingest that
/// cannot record its rejects fails whole instead of committing without them.
struct RejectsFile {
    /// nil when the rejects are held in memory.
    private let descriptor: Int32?
    /// The path the user named (the file is written aside as `….partial`).
    private let shownPath: String
    private var buffer: [UInt8] = []
    /// The rejects, in the order written, when held in memory.
    private(set) var held: [(line: Int, reason: String)] = []

    init(path: String) throws {
        shownPath = path.hasSuffix(".partial") ? String(path.dropLast(".partial".count)) : path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.problem(shownPath, errno) }
        self.descriptor = descriptor
    }

    /// Rejects held in memory, not written anywhere (the server: its answer
    /// carries them).
    init() {
        descriptor = nil
        shownPath = ""
    }

    mutating func write(line: Int, reason: String, input: String) throws {
        guard descriptor != nil else {
            held.append((line, reason))
            return
        }
        buffer += Array("{\"line\":\(line),\"reason\":\(Self.json(reason)),\"input\":\(Self.json(input))}\n".utf8)
        if buffer.count > 1 << 16 { try flush() }
    }

    /// Writes what is buffered; throws the system's reason (no space, read-only, …).
    mutating func flush() throws {
        guard let descriptor else { return }
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

    /// Everything written and on disk: called before the ingest commits.
    mutating func finish() throws {
        try flush()
        guard let descriptor else { return }
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw Self.problem(shownPath, errno) }
    }

    private var closed = false

    mutating func close() {
        guard !closed else { return }
        closed = true
        try? flush()
        if let descriptor { _ = Glibc.close(descriptor) }
    }

    private static func problem(_ path: String, _ code: Int32) -> ImportProblem {
        ImportProblem(file: path, line: nil, "cannot write the rejects file: \(String(cString: strerror(code))); nothing was loaded")
    }

    static func json(_ text: String) -> String {
        InvoiceJSON.quoted(text)
    }
}
