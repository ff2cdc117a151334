import Foundation

/// Runs a program that exits by itself (a validator, `runuser … psql`) and
/// returns its status with stdout and stderr together, as a person reads them.
public enum ChildCommand {
    public static func run(_ executable: String, _ arguments: [String], in directory: URL) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
