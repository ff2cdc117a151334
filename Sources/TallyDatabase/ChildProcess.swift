import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Foundation's `Process` leaves descriptors of its own open in children; a
/// daemon started by the child (the postmaster that `pg_ctl start` leaves
/// running) inherits them and `waitUntilExit` never returns. Here the child
/// gets exactly three descriptors: stdin from /dev/null, stdout and stderr to
/// a file we read afterwards.
enum ChildProcess {
    struct Result {
        let status: Int32
        let output: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Close everything else the parent has open.
        for fd in openDescriptors() where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        // `env -C /` runs the program from / so a server user that cannot read
        // the caller's folder does not trip over it.
        let argv = ["/usr/bin/env", "-C", "/", executable] + arguments
        var pid: pid_t = 0
        let spawnStatus = withCStrings(argv) { argvPointers in
            posix_spawn(&pid, "/usr/bin/env", &actions, nil, argvPointers, environ)
        }
        guard spawnStatus == 0 else {
            throw LocalClusterError("cannot run \(executable): \(String(cString: strerror(spawnStatus)))")
        }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) == -1 {
            guard errno == EINTR else { throw LocalClusterError("waitpid failed for \(executable)") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out (they are C macros).
        let exited = (waitStatus & 0x7f) == 0
        let status = exited ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: status, output: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The descriptors open in this process, from /proc/self/fd.
    private static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.filter { fcntl($0, F_GETFD) != -1 }
    }

    private static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
