import RingletSignaling
import Synchronization

/// What a connection's writer task sends next.
enum SessionOutgoing: Sendable {
    case message(ServerMessage)
    /// A message already encoded (what the outbox keeps, so that a message is encoded once).
    case text(String)
    /// Send a close frame with this kind and reason, then stop.
    case close(SessionCloseKind, String)
}

/// The WebSocket close codes the hub uses (RFC 6455 §7.4.1).
enum SessionCloseKind: Sendable {
    /// 1000: the server closes for a normal reason (replaced, shutdown).
    case normal
    /// 1008: policy violation (unauthenticated, bad authentication, malformed message, revoked credentials,
    /// a rate or queue limit).
    case policy
    /// 1009: message too big.
    case tooLarge
}

/// The messages queued for one signaling session, bounded (docs/security.md, "Limits"): at most
/// `maximumMessages` messages and `maximumBytes` bytes of JSON that its socket has not taken yet. A session whose
/// peer stops reading fills it; the next message then overflows it: everything queued is dropped, the
/// `onOverflow` action runs once (it closes the connection under the stuck writer) and later messages are
/// refused. Any thread may put; one writer task takes.
final class SessionOutbox: Sendable {
    private struct State {
        var items: [SessionOutgoing] = []
        var head = 0
        var bytes = 0
        var finished = false
        var overflowed = false
        var waiter: CheckedContinuation<SessionOutgoing?, Never>?
    }

    let maximumMessages: Int
    let maximumBytes: Int
    private let state = Mutex(State())
    private let onOverflow: @Sendable () -> Void

    /// An empty outbox with these bounds; `onOverflow` runs (once, outside the lock) when it overflows.
    init(maximumMessages: Int, maximumBytes: Int, onOverflow: @escaping @Sendable () -> Void = {}) {
        self.maximumMessages = max(1, maximumMessages)
        self.maximumBytes = max(1, maximumBytes)
        self.onOverflow = onOverflow
    }

    /// Queues `item`; false when the outbox is finished or this item overflowed it.
    @discardableResult
    func put(_ item: SessionOutgoing) -> Bool {
        var item = item
        if case .message(let message) = item { item = .text(message.text) }
        let size = Self.size(of: item)
        enum Result { case queued, resumed(CheckedContinuation<SessionOutgoing?, Never>), refused, overflowed }
        let result: Result = state.withLock { s in
            guard !s.finished else { return .refused }
            if let waiter = s.waiter {
                s.waiter = nil
                return .resumed(waiter)
            }
            let queued = s.items.count - s.head
            if case .text = item, queued + 1 > maximumMessages || s.bytes + size > maximumBytes {
                s.items = []
                s.head = 0
                s.bytes = 0
                s.finished = true
                s.overflowed = true
                return .overflowed
            }
            s.items.append(item)
            s.bytes += size
            return .queued
        }
        switch result {
        case .queued: return true
        case .resumed(let waiter):
            waiter.resume(returning: item)
            return true
        case .refused: return false
        case .overflowed:
            onOverflow()
            return false
        }
    }

    /// No more items will be put; the writer ends once it has taken what is queued.
    func finish() {
        let waiter: CheckedContinuation<SessionOutgoing?, Never>? = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil }
            return s.items.count == s.head ? s.waiter : nil
        }
        waiter?.resume(returning: nil)
    }

    /// Whether the outbox overflowed (the session is closed for it).
    var overflowed: Bool { state.withLock { $0.overflowed } }

    /// Messages queued now.
    var count: Int { state.withLock { $0.items.count - $0.head } }

    /// The next item, waiting for one; nil once finished and empty. One caller at a time.
    func next() async -> SessionOutgoing? {
        await withCheckedContinuation { (continuation: CheckedContinuation<SessionOutgoing?, Never>) in
            let ready: SessionOutgoing?? = state.withLock { s in
                if s.head < s.items.count {
                    let item = s.items[s.head]
                    s.head += 1
                    s.bytes -= Self.size(of: item)
                    if s.head == s.items.count {
                        s.items.removeAll(keepingCapacity: true)
                        s.head = 0
                    }
                    return .some(item)
                }
                if s.finished { return .some(nil) }
                s.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The bytes an item takes in the queue (its JSON text; a close counts nothing).
    static func size(of item: SessionOutgoing) -> Int {
        switch item {
        case .message(let message): return message.text.utf8.count
        case .text(let text): return text.utf8.count
        case .close: return 0
        }
    }
}
