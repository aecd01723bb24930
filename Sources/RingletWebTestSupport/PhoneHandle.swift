import Foundation
import RingletPhone

/// A headless phone running in the background and the events it saw, for tests that drive whole calls (the
/// device SDK's calls, the security tests' call beside an attack).
package final class PhoneHandle: @unchecked Sendable {
    // @unchecked Sendable: `seen` is under `lock`; the tasks only run while the handle lives.
    package let phone: RingletPhone
    private let lock = NSLock()
    private var seen: [RingletPhone.Event] = []
    private var tasks: [Task<Void, Never>] = []

    /// Runs `phone` and records its events until ``stop()``.
    package init(phone: RingletPhone) {
        self.phone = phone
        tasks.append(Task { await phone.run() })
        tasks.append(Task { [weak self] in
            for await e in phone.events { self?.lock.withLock { self?.seen.append(e) } }
        })
    }

    /// Every event so far, oldest first.
    package var events: [RingletPhone.Event] { lock.withLock { seen } }
    /// Whether it has been online.
    package var online: Bool { events.contains { if case .online = $0 { true } else { false } } }
    /// The call ids it rang for.
    package var rings: [String] { events.compactMap { if case .ringing(let r) = $0 { r.callId } else { nil } } }
    /// The `call_event`s it received, as `event`.
    package var callEvents: [String] { events.compactMap { if case .callEvent(let e) = $0 { e.event.rawValue } else { nil } } }
    /// Why its ring stopped.
    package var ringStops: [String] { events.compactMap { if case .ringStopped(let s) = $0 { s.reason.rawValue } else { nil } } }
    /// The codes of the `error` messages it received.
    package var errors: [String] { events.compactMap { if case .error(let e) = $0 { e.code.rawValue } else { nil } } }

    /// Stops the phone (it hangs up) and its tasks.
    package func stop() async {
        await phone.stop()
        for t in tasks { t.cancel() }
    }
}

/// Polls `condition` every 20 ms for at most `seconds`; the last answer.
package func poll(seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
