import Foundation
import TallyCore

/// Rejected events, one JSON object per line: `{"line":7,"reason":"…","input":"…"}`.
struct RejectsFile {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ImportProblem(file: path, line: nil, "cannot write the rejects file")
        }
        try handle.truncate(atOffset: 0)
        self.handle = handle
    }

    mutating func write(line: Int, reason: String, input: String) throws {
        buffer += Array("{\"line\":\(line),\"reason\":\(Self.json(reason)),\"input\":\(Self.json(input))}\n".utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    private var closed = false

    mutating func close() {
        guard !closed else { return }
        closed = true
        flush()
        try? handle.close()
    }

    static func json(_ text: String) -> String {
        InvoiceJSON.quoted(text)
    }
}
