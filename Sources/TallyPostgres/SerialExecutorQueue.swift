import Dispatch

/// A serial executor backed by its own dispatch queue.
///
/// Actors that make blocking libpq calls run on one of these, so a slow query
/// blocks a dispatch thread of its own, never a thread of Swift's cooperative
/// pool (which has only as many threads as cores).
final class SerialExecutorQueue: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async {
            job.runSynchronously(on: executor)
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
