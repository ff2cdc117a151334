#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CompressNIO
import Crypto
import NIOCore
import TallyCore

/// Reads files written by ``GzipFileWriter``: their SHA-256, and their
/// content decompressed as a stream, in bounded memory. Every failure names
/// the file: a usage archive is checked file by file before and while it is
/// restored.
enum GzipFileReader {
    /// Bytes read from the file at a time.
    static let chunkSize = 1 << 20

    /// Size and SHA-256 (lowercase hex) of the file's bytes.
    static func checksum(path: String) throws -> (bytes: Int64, sha256: String) {
        var hasher = SHA256()
        let bytes = try readChunks(path: path) { chunk in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            chunk.clear()
        }
        return (bytes, GzipFileWriter.hex(hasher.finalize()))
    }

    /// Decompresses the gzip file, handing its content to `body` a piece at
    /// a time (pieces end anywhere, not at line ends). Refuses a file that is
    /// not gzip, is damaged (zlib checks the CRC-32 of the content), ends
    /// before its stream does or has bytes after it. Returns the file's size
    /// and SHA-256, computed from the same read.
    static func inflate(path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> (bytes: Int64, sha256: String) {
        func corrupt(_ why: String) -> UsageArchiveError {
            UsageArchiveError(.corrupt, "\(path): \(why)")
        }
        let decompressor: ZlibDecompressor
        do {
            decompressor = try ZlibDecompressor(algorithm: .gzip)
        } catch {
            throw corrupt("cannot start zlib: \(error)")
        }
        var hasher = SHA256()
        var output = ByteBufferAllocator().buffer(capacity: 4 * chunkSize)
        var ended = false
        /// Runs zlib over `input` until it needs more; false if it took and
        /// gave nothing (its stream had ended).
        func drain(_ input: inout ByteBuffer) throws -> Bool {
            var progressed = false
            while true {
                output.clear()
                let before = input.readableBytes
                var full = false
                do {
                    try decompressor.inflate(from: &input, to: &output)
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    full = true
                } catch let error as CompressNIOError where error == .inputBufferOverflow {
                    // wants more input
                } catch let error as CompressNIOError where error == .corruptData {
                    throw corrupt("damaged gzip data (not a gzip file, or its content does not match its CRC-32)")
                } catch {
                    throw corrupt("cannot decompress: zlib \(error)")
                }
                if output.readableBytes > 0 {
                    progressed = true
                    try output.withUnsafeReadableBytes { try body($0) }
                }
                if input.readableBytes != before { progressed = true }
                if !full { return progressed }
            }
        }
        let bytes = try readChunks(path: path) { chunk in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            while chunk.readableBytes > 0 {
                if ended { throw corrupt("bytes after the end of the gzip stream") }
                if !(try drain(&chunk)) { ended = true }  // zlib takes nothing more: its stream ended before this input
            }
        }
        // Did the stream end? Asked with no input, zlib says "ended" (no
        // error) or "wants more input" (the file was cut short).
        if !ended {
            var empty = ByteBufferAllocator().buffer(capacity: 16)
            output.clear()
            do {
                try decompressor.inflate(from: &empty, to: &output)
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                throw corrupt("the gzip stream ends early (the file is cut short)")
            } catch {
                throw corrupt("cannot decompress: zlib \(error)")
            }
            if output.readableBytes > 0 {
                try output.withUnsafeReadableBytes { try body($0) }
            }
        }
        return (bytes, GzipFileWriter.hex(hasher.finalize()))
    }

    /// Reads the file a chunk at a time, handing each to `body` in a buffer
    /// it may consume, and returns the number of bytes read.
    private static func readChunks(path: String, _ body: (inout ByteBuffer) throws -> Void) throws -> Int64 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw UsageArchiveError(.corrupt, "cannot read \(path): \(GzipFileWriter.systemError())")
        }
        defer { _ = close(descriptor) }
        var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
        var total: Int64 = 0
        var failure: Int32 = 0
        while true {
            buffer.clear()
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { space -> Int in
                while true {
                    let n = read(descriptor, space.baseAddress!, min(space.count, chunkSize))
                    if n >= 0 { return n }
                    if errno != EINTR {
                        failure = errno
                        return 0
                    }
                }
            }
            if failure != 0 {
                throw UsageArchiveError(.corrupt, "cannot read \(path): \(String(cString: strerror(failure)))")
            }
            if count == 0 { return total }
            total += Int64(count)
            try body(&buffer)
        }
    }
}
