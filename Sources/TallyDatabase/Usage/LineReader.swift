import Foundation

/// Reads a file (or standard input, "-") line by line in 1 MiB chunks:
/// constant memory for any size; or bytes already in memory. Lines are byte
/// slices without their LF (a CR before it is dropped too).
struct LineReader {
    /// nil when reading bytes held in memory (all in `buffer` from the start).
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var lineNumber = 0
    /// Bytes read from the input so far (for progress: at most 1 MiB ahead of the lines returned).
    private(set) var bytesRead = 0

    init(path: String) throws(ImportProblem) {
        handle = try CSVFile.open(path)
    }

    init(bytes: [UInt8]) {
        handle = nil
        buffer = bytes
        atEnd = true
        bytesRead = bytes.count
    }

    /// The next line and its 1-based number, or nil at the end.
    mutating func next() -> (number: Int, bytes: ArraySlice<UInt8>)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                lineNumber += 1
                return (lineNumber, line)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return (lineNumber, line)
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk = (try? handle?.read(upToCount: 1 << 20)) ?? nil
            if let chunk, !chunk.isEmpty {
                bytesRead += chunk.count
                buffer.append(contentsOf: chunk)
            } else {
                atEnd = true
            }
        }
    }
}
