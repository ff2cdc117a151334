import Foundation

/// A temporary folder of named text files, removed by `remove()`.
public struct TemporaryFiles: Sendable {
    public let directory: URL

    public init(_ files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    /// Writes a file; `name` may have folders (`rates/usd.yaml`), created as needed.
    public func write(_ name: String, _ text: String) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    public func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
