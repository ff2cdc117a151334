import Foundation

/// Wall-clock time per phase of a command, printed to stderr when
/// `TALLY_TIMINGS=1`, so benchmarks can say where the time goes.
struct PhaseTimer {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private var phases: [(String, Duration)] = []
    let enabled = ProcessInfo.processInfo.environment["TALLY_TIMINGS"] == "1"

    init() {
        last = clock.now
    }

    mutating func lap(_ name: String) {
        let now = clock.now
        phases.append((name, now - last))
        last = now
    }

    func report() {
        guard enabled else { return }
        let text = phases.map { name, duration in
            let (seconds, attoseconds) = duration.components
            return "\(name) \(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
        }.joined(separator: ", ")
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
