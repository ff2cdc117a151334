import Foundation
import TallyCore
import TallyDatabase

/// The progress line of `tally usage ingest` on stderr, drawn only when
/// stderr is a terminal (logs and pipes get the summary alone): events read,
/// rate, percent of the file and time left (a stream has no size: no percent).
final class IngestProgress {
    private let label: String
    private let clock: ContinuousClock
    private let start: ContinuousClock.Instant
    private let enabled = isatty(STDERR_FILENO) == 1
    private var drawn = false
    private var lastDrawn: ContinuousClock.Instant?

    init(label: String, clock: ContinuousClock, start: ContinuousClock.Instant) {
        self.label = label
        self.clock = clock
        self.start = start
    }

    func show(_ progress: UsageIngester.Progress) {
        guard enabled else { return }
        let now = clock.now
        if let lastDrawn, now - lastDrawn < .milliseconds(250) { return }
        lastDrawn = now
        let milliseconds = max(1, (now - start).milliseconds)
        let rate = Int64(progress.lines) * 1000 / milliseconds
        var text = "\r\(label): \(progress.lines) events, \(rate) events/s"
        if let total = progress.totalBytes, total > 0 {
            let done = min(progress.bytesRead, total)
            text += ", \(done * 100 / total)%"
            if done > 0 && done < total {
                // Time left at the rate so far, by bytes (events are of similar size).
                let left = Int64(total - done) * milliseconds / Int64(done) / 1000
                text += ", \(left / 60) min \(left % 60) s left"
            }
        }
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
