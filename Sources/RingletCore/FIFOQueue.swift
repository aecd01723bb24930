/// A first-in first-out queue: an array and the index of its oldest element, so that taking from the front costs
/// O(1) amortised instead of shifting the array on every pop.
///
/// The output queue of the sans-IO state machines (an input appends what the caller must act on; the caller drains
/// with `popFirst()` until it returns nil) and the pacer's packet queues. Storage is kept for reuse:
/// - when the last element is taken, the array is emptied with its capacity kept and the head goes back to 0;
/// - when at least 64 elements and at least half of the array have been taken while newer ones are still queued
///   (a queue that is never quite drained), the taken ones are dropped from the front, so the array never holds
///   more than twice the live elements plus 64. Each element is moved at most once per such compaction, and a
///   compaction happens only after as many pops as it moves: O(1) amortised per operation.
package struct FIFOQueue<Element> {
    @usableFromInline var storage: [Element] = []
    @usableFromInline var head = 0

    /// An empty queue.
    @inlinable package init() {}

    /// Whether nothing is queued.
    @inlinable package var isEmpty: Bool { head == storage.count }

    /// How many elements are queued.
    @inlinable package var count: Int { storage.count &- head }

    /// The oldest element (the next `popFirst()`), or nil.
    @inlinable package var first: Element? { head < storage.count ? storage[head] : nil }

    /// The newest element, or nil.
    @inlinable package var last: Element? { head < storage.count ? storage[storage.count &- 1] : nil }

    /// The queued elements, oldest first.
    @inlinable package var elements: ArraySlice<Element> { storage[head...] }

    /// Queues `element` behind the others.
    @inlinable package mutating func append(_ element: Element) { storage.append(element) }

    /// Takes the oldest element, or returns nil when the queue is empty.
    @inlinable package mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head &+= 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head &* 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes every queued element, keeping the capacity.
    @inlinable package mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    /// Removes every queued element matching `predicate`, keeping the order of the others.
    @inlinable package mutating func removeAll(where predicate: (Element) throws -> Bool) rethrows {
        storage.removeFirst(head)
        head = 0
        try storage.removeAll(where: predicate)
    }
}

extension FIFOQueue: Sendable where Element: Sendable {}
