import Testing

@testable import RingletCore

@Suite("FIFO queue")
struct FIFOQueueTests {
    @Test("elements come out in the order they went in, then nil")
    func order() {
        var q = FIFOQueue<Int>()
        #expect(q.isEmpty && q.count == 0 && q.popFirst() == nil)
        for i in 0..<5 { q.append(i) }
        #expect(q.count == 5 && !q.isEmpty)
        #expect(q.first == 0 && q.last == 4)
        #expect(Array(q.elements) == [0, 1, 2, 3, 4])
        var out: [Int] = []
        while let e = q.popFirst() { out.append(e) }
        #expect(out == [0, 1, 2, 3, 4])
        #expect(q.isEmpty && q.first == nil && q.last == nil && q.popFirst() == nil)
    }

    @Test("appends between pops keep the order")
    func interleaved() {
        var q = FIFOQueue<Int>()
        var next = 0, expected = 0
        for round in 0..<200 {
            for _ in 0..<(round % 7) {
                q.append(next)
                next += 1
            }
            for _ in 0..<(round % 5) {
                guard let e = q.popFirst() else { break }
                #expect(e == expected)
                expected += 1
            }
            #expect(q.count == next - expected)
        }
    }

    @Test("taking the last element empties the storage and keeps its capacity")
    func drainedStorageIsReused() {
        var q = FIFOQueue<[UInt8]>()
        for i in 0..<100 { q.append([UInt8(i)]) }
        let capacity = q.storage.capacity
        while q.popFirst() != nil {}
        #expect(q.storage.isEmpty && q.head == 0)
        #expect(q.storage.capacity == capacity)
    }

    @Test("a queue that never drains stays within twice its live elements plus 64")
    func boundedWithoutDraining() {
        var q = FIFOQueue<Int>()
        for i in 0..<10 { q.append(i) }
        var largest = 0
        for i in 10..<100_000 {
            q.append(i)
            #expect(q.popFirst() == i - 10)
            largest = max(largest, q.storage.count)
        }
        #expect(q.count == 10)
        #expect(largest <= 2 * 11 + 64, "the array grew to \(largest)")
    }

    @Test("removing by predicate keeps the others in order")
    func removeWhere() {
        var q = FIFOQueue<Int>()
        for i in 0..<10 { q.append(i) }
        _ = q.popFirst()
        _ = q.popFirst()
        q.removeAll { $0 % 3 == 0 }
        #expect(Array(q.elements) == [2, 4, 5, 7, 8])
        q.removeAll()
        #expect(q.isEmpty && q.popFirst() == nil)
    }
}
