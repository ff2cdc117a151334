#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CompressNIO
import Crypto
import NIOCore
import TallyCore

/// Writes one gzip file as bytes stream in (zlib through compress-nio), in
/// bounded memory, keeping the SHA-256 and size of the file's bytes as
/// written; ``finish()`` flushes and fsyncs it. Used for usage archives,
/// whose files must be on disk before the rows they hold leave the database.
///
/// The file is created, never overwritten (`O_EXCL`); the caller removes it
/// if the write fails. Not thread-safe: one writer, one thread.
final class GzipFileWriter {
    let path: String
    private var descriptor: Int32
    private let compressor: ZlibCompressor
    /// Bytes waiting to be compressed (compressed a chunk at a time).
    private var input: ByteBuffer
    private var output: ByteBuffer
    private var hasher = SHA256()
    /// Bytes written to the file so far.
    private(set) var bytes: Int64 = 0

    /// Input is compressed once this much has built up.
    static let chunkSize = 1 << 20

    init(path: String) throws {
        self.path = path
        compressor = try ZlibCompressor(algorithm: .gzip, configuration: ZlibConfiguration(compressionLevel: .defaultCompressionLevel))
        input = ByteBufferAllocator().buffer(capacity: Self.chunkSize + (64 << 10))
        output = ByteBufferAllocator().buffer(capacity: 256 << 10)
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw UsageArchiveError(.invalidInput, "cannot create \(path): \(Self.systemError())") }
    }

    deinit {
        if descriptor >= 0 { _ = close(descriptor) }
    }

    /// Appends uncompressed bytes.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        input.writeBytes(bytes)
        if input.readableBytes >= Self.chunkSize { try deflate(finish: false) }
    }

    /// Compresses what is left, ends the gzip stream, fsyncs and closes the
    /// file. Returns its size and SHA-256 (lowercase hex).
    func finish() throws -> (bytes: Int64, sha256: String) {
        try deflate(finish: true)
        guard fsync(descriptor) == 0 else { throw UsageArchiveError(.invalidInput, "cannot sync \(path): \(Self.systemError())") }
        let status = close(descriptor)
        descriptor = -1
        guard status == 0 else { throw UsageArchiveError(.invalidInput, "cannot close \(path): \(Self.systemError())") }
        return (bytes, Self.hex(hasher.finalize()))
    }

    /// Runs zlib over the pending input, writing out each full output buffer:
    /// until the input is used up (`finish` false) or the stream has ended.
    private func deflate(finish: Bool) throws {
        while true {
            output.clear()
            var full = false
            do {
                try compressor.deflate(from: &input, to: &output, flush: finish ? .finish : .no)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                full = true  // more output to come (or, without input, nothing to do)
            } catch {
                throw UsageArchiveError(.invalidInput, "cannot compress \(path): zlib \(error)")
            }
            try writeOut()
            // Finishing: until zlib says the stream ended (no overflow).
            // Otherwise: until the input is used up.
            if finish ? !full : input.readableBytes == 0 { break }
        }
        input.clear()
    }

    private func writeOut() throws {
        guard output.readableBytes > 0 else { return }
        try output.withUnsafeReadableBytes { chunk in
            hasher.update(bufferPointer: chunk)
            try Self.writeAll(chunk, to: descriptor, path: path)
        }
        bytes += Int64(output.readableBytes)
    }

    /// Writes all of `chunk` to `descriptor` (retrying short writes and
    /// interruptions); `path` names the file in the error.
    static func writeAll(_ chunk: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < chunk.count {
            let written = write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw UsageArchiveError(.invalidInput, "cannot write \(path): \(systemError())")
            }
            offset += written
        }
    }

    static func systemError() -> String {
        String(cString: strerror(errno))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
