import Logging
import NIOCore
import RingletSignaling

/// The media of one call while its session is being made and after: the peer's `sdp` and `candidate`
/// messages that arrive before the session exists are kept (at most 64) and applied, in order, once it is
/// attached. Confined to the session's event loop.
public final class CallMediaSlot {
    /// The call.
    public let callId: String
    /// The session, once made.
    public private(set) var session: CallMediaSession?
    private var early: [ServerMessage] = []
    private var closed = false
    private let logger: Logger

    /// A slot for `callId`.
    public init(callId: String, logger: Logger) {
        self.callId = callId
        self.logger = logger
    }

    /// Whether the slot was closed.
    public var isClosed: Bool { closed }

    /// Applies an `sdp` or `candidate` message for this call, or keeps it until the session is attached.
    /// Must not be called from inside the session's events.
    public func deliver(_ message: ServerMessage) {
        guard !closed else { return }
        guard let session else {
            if early.count < 64 { early.append(message) }
            return
        }
        switch message {
        case .sdp(let s):
            do {
                try session.handleRemoteDescription(type: s.sdpType, sdp: s.sdp)
            } catch {
                logger.info("the peer's description was refused", metadata: ["error": "\(error)"])
            }
        case .candidate(let c):
            session.addRemoteCandidate(c.candidate)
        default:
            break
        }
    }

    /// Attaches the made session and applies what arrived before it. Returns false (and closes the session)
    /// when the slot was closed meanwhile.
    @discardableResult
    public func attach(_ made: CallMediaSession) -> Bool {
        guard !closed else {
            _ = made.close()
            return false
        }
        session = made
        let pending = early
        early = []
        for message in pending { deliver(message) }
        return true
    }

    /// Closes the session (if any) from a task of its own, so it may be called from inside its events.
    public func close() {
        guard !closed else { return }
        closed = true
        early = []
        if let session {
            session.driver.eventLoop.assumeIsolated().execute { _ = session.close() }
        }
    }
}
