import NIOConcurrencyHelpers

/// How the facade's blocking methods block: the calling thread waits on a condition until the work (which runs
/// on the device's loop or as a task) is done. The seed documents these methods as blocking and its apps call them
/// from threads of their own; a Swift concurrency thread must never wait like this (the pool would starve, and
/// with two cores deadlock), so on one — inside a task — nothing waits: the call is refused (`wouldBlock`, the
/// facade's -312 family code) and logged. This file is the only place in Sources where a thread waits on
/// another (a test greps for it).
package enum ThreadBlocking {
    /// Whether the caller runs inside a Swift task (a Swift concurrency thread).
    package static var isInsideTask: Bool { withUnsafeCurrentTask { $0 != nil } }

    /// Runs `work` as a task and blocks the calling thread until it returns its value; nil (at once) when
    /// called inside a task.
    package static func wait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T? {
        guard !isInsideTask else { return nil }
        let done = ConditionLock(value: false)
        let slot = NIOLockedValueBox<T?>(nil)
        Task.detached {
            let value = await work()
            slot.withLockedValue { $0 = value }
            done.lock()
            done.unlock(withValue: true)
        }
        done.lock(whenValue: true)
        done.unlock()
        return slot.withLockedValue { $0 }
    }
}
