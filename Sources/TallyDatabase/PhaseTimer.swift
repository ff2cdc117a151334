import Foundation
import TallyCore

/// Wall-clock time per phase of a job, printed to stderr when
/// `TALLY_TIMINGS=1`, so benchmarks can say where the time goes.
public struct PhaseTimer {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private var phases: [(String, Duration)] = []
    public let enabled = PhaseTimer.enabledByEnvironment
    /// Read once: `ProcessInfo.environment` copies the whole environment,
    /// and the server starts timers for every group of usage requests.
    private static let enabledByEnvironment = ProcessInfo.processInfo.environment["TALLY_TIMINGS"] == "1"

    public init() {
        last = clock.now
    }

    /// Ends the current phase under `name`.
    public mutating func lap(_ name: String) {
        let now = clock.now
        phases.append((name, now - last))
        last = now
    }

    /// Records `duration` under `name` without ending the current phase
    /// (time spent inside it, such as waiting for another thread).
    public mutating func record(_ name: String, _ duration: Duration) {
        phases.append((name, duration))
    }

    /// `connect 6 ms, plan 31 ms, …` on stderr, when enabled.
    public func report() {
        guard enabled, !phases.isEmpty else { return }
        let text = phases.map { "\($0.0) \($0.1.milliseconds) ms" }.joined(separator: ", ")
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
