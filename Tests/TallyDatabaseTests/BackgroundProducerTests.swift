import Synchronization
import Testing
@testable import TallyDatabase

@Suite("Background producer")
struct BackgroundProducerTests {
    @Test func deliversEveryItemInOrderThroughASmallBuffer() {
        let producer = BackgroundProducer<Int>(capacity: 2) { deliver in
            for i in 0..<1_000 { _ = deliver(i) }
        }
        var seen: [Int] = []
        while let item = producer.next() { seen.append(item) }
        #expect(seen == Array(0..<1_000))
        #expect(producer.next() == nil)
        producer.cancel()  // after the end: returns at once
    }

    @Test func cancelStopsTheProducerAndCanBeRepeated() {
        let produced = Atomic<Int>(0)
        let producer = BackgroundProducer<Int>(capacity: 4) { deliver in
            for i in 0..<1_000_000 {
                guard deliver(i) else { return }
                produced.add(1, ordering: .relaxed)
            }
        }
        #expect(producer.next() == 0)
        producer.cancel()
        producer.cancel()
        #expect(produced.load(ordering: .relaxed) < 1_000_000)
        #expect(producer.next() == nil)
    }
}
