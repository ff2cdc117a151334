import Dispatch
import Synchronization

/// Runs a producer on a background thread and hands its items, in order, to
/// the caller's thread through a bounded buffer. The invoice run prices
/// customers on one core while the caller's thread streams the drafts to
/// PostgreSQL by COPY (which the server stores on the other core); the
/// connection itself never leaves the caller's thread.
final class BackgroundProducer<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])
    private let stopped = Atomic<Bool>(false)
    /// Set once `next()` has seen the producer's final signal.
    private let drained = Atomic<Bool>(false)
    /// One signal per item put, and one more when the producer has finished.
    private let ready = DispatchSemaphore(value: 0)
    private let room: DispatchSemaphore

    /// Starts `produce` at once. It calls `deliver` for each item; `deliver`
    /// blocks while `capacity` items wait, and returns false once the
    /// consumer has cancelled (the producer should then return).
    init(capacity: Int, produce: @escaping @Sendable (_ deliver: (Item) -> Bool) -> Void) {
        room = DispatchSemaphore(value: capacity)
        DispatchQueue.global().async { [self] in
            produce { item in
                guard !stopped.load(ordering: .relaxed) else { return false }
                room.wait()
                items.withLock { $0.append(item) }
                ready.signal()
                return true
            }
            ready.signal()
        }
    }

    /// The next item, or nil once the producer has finished and every item
    /// was taken. (Each item's signal follows its append, so a wake-up that
    /// finds no item is the producer's final signal.)
    func next() -> Item? {
        guard !drained.load(ordering: .relaxed) else { return nil }
        ready.wait()
        guard let item = items.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
            drained.store(true, ordering: .relaxed)
            return nil
        }
        room.signal()
        return item
    }

    /// Asks the producer to stop and waits until it has (at once if it
    /// already has). Safe to call more than once.
    func cancel() {
        stopped.store(true, ordering: .relaxed)
        while next() != nil {}
    }
}
