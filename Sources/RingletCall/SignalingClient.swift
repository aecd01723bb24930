import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOWebSocket
import RingletCore
import RingletSignaling

/// One signaling session to `ringlet serve` over WebSocket (docs/protocol.md), kept up for as long as ``run()``
/// runs: it connects, authenticates (a device signs the challenge, a user presents a token — the caller's
/// `authenticate` closure), delivers every server message in order, sends what the caller queues, and after a
/// lost or failed connection tries again with ``ReconnectBackoff``.
///
/// Thread-safe: ``send(_:)`` may be called from any thread; messages and state changes are delivered from the
/// session's task, one at a time, in order. The server's app-level `ping` is answered here; WebSocket pings keep
/// a dead server from going unnoticed (``Configuration/pingInterval``).
public final class SignalingClient: Sendable {
    /// Where to connect and how to behave.
    public struct Configuration: Sendable {
        /// The WebSocket URL (`ws://host:port/v1/signal/device`, `wss://…`).
        public var url: String
        /// The event loops the connection runs on.
        public var eventLoopGroup: any EventLoopGroup
        /// TLS for `wss://` (nil: the system's trust roots).
        public var tlsConfiguration: TLSConfiguration?
        /// When to try again.
        public var backoff = ReconnectBackoff()
        /// A WebSocket ping every this often; no pong before the next one closes the connection. Default 10 s.
        public var pingInterval: Duration = .seconds(10)
        /// How long authentication may take after the upgrade. Default 10 s.
        public var authenticationTimeout: Duration = .seconds(10)
        /// The largest message accepted from the server. Default 128 KiB (the server sends at most 64 KiB).
        public var maximumMessageSize = 128 << 10

        /// A configuration for `url` on `eventLoopGroup`.
        public init(url: String, eventLoopGroup: any EventLoopGroup) {
            self.url = url
            self.eventLoopGroup = eventLoopGroup
        }
    }

    /// The session's state.
    public enum State: Sendable {
        /// Connecting (again); `attempt` counts from 1.
        case connecting(attempt: Int)
        /// Authenticated: the server's welcome (time, ICE servers, identity).
        case online(Welcome)
        /// Not connected; the next attempt is in `retryIn` (nil when stopped).
        case offline(reason: CallClientError, retryIn: Duration?)
    }

    /// Reads server messages and sends client messages during authentication.
    public struct Authenticator {
        var iterator: WebSocketInboundMessageStream.AsyncIterator
        let outbound: WebSocketOutboundWriter

        /// The next server message; nil when the connection closed.
        /// - Throws: a `SignalingError` for a message that does not decode.
        public mutating func next() async throws -> ServerMessage? {
            while let message = try await iterator.next() {
                guard case .text(let text) = message else { continue }
                return try ServerMessage(parsing: text)
            }
            return nil
        }

        /// Sends a message.
        public func send(_ message: ClientMessage) async throws {
            try await outbound.writeTextMessage(message.text)
        }
    }

    /// Authenticates one new connection and returns the server's welcome.
    public typealias Authenticate = @Sendable (inout Authenticator) async throws -> Welcome

    private struct Shared {
        var outbound: AsyncStream<String>.Continuation?
        var writer: WebSocketOutboundWriter?
        var stopped = false
        var backoff: ReconnectBackoff
        var rng = SystemRandomNumberGenerator()
    }

    /// The configuration given at creation.
    public let configuration: Configuration
    private let logger: Logger
    private let authenticate: Authenticate
    private let onState: @Sendable (State) -> Void
    private let onMessage: @Sendable (ServerMessage) -> Void
    private let shared: NIOLockedValueBox<Shared>

    /// Makes a session; nothing happens until ``run()``.
    /// - Parameters:
    ///   - authenticate: runs on every new connection (device challenge or user token).
    ///   - onState: every state change.
    ///   - onMessage: every server message after the welcome, in order (app-level `ping`s are answered here and
    ///     not delivered).
    public init(configuration: Configuration, logger: Logger, authenticate: @escaping Authenticate,
                onState: @escaping @Sendable (State) -> Void, onMessage: @escaping @Sendable (ServerMessage) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.authenticate = authenticate
        self.onState = onState
        self.onMessage = onMessage
        self.shared = NIOLockedValueBox(Shared(backoff: configuration.backoff))
    }

    /// Whether a connection is authenticated and can take messages.
    public var isOnline: Bool { shared.withLockedValue { $0.outbound != nil } }

    /// Queues `message` for the server. Returns false (and drops it) when not online.
    @discardableResult
    public func send(_ message: ClientMessage) -> Bool {
        let text = message.text
        return shared.withLockedValue { s in
            guard let c = s.outbound else { return false }
            if case .terminated = c.yield(text) { return false }
            return true
        }
    }

    /// Connects, and reconnects after every loss, until ``stop()`` or the task is cancelled, or until the server
    /// rejects the credentials for good (``CallClientError/Code/credentialsRejected``: a refused key or token, an
    /// expired or signed-out session, a reset device), which ends it with that reason and no retry.
    public func run() async {
        var attempt = 0
        while !Task.isCancelled, !shared.withLockedValue({ $0.stopped }) {
            attempt += 1
            onState(.connecting(attempt: attempt))
            let reason = await connectOnce()
            if shared.withLockedValue({ $0.stopped }) || Task.isCancelled { break }
            if reason.code == .credentialsRejected {
                shared.withLockedValue { $0.stopped = true }
                logger.info("signaling stopped: the server rejects these credentials", metadata: ["reason": "\(reason)"])
                onState(.offline(reason: reason, retryIn: nil))
                return
            }
            let delay = shared.withLockedValue { s in s.backoff.nextDelay(using: &s.rng) }
            onState(.offline(reason: reason, retryIn: delay))
            logger.info("signaling offline, retrying", metadata: ["reason": "\(reason)", "in": "\(delay)"])
            try? await Task.sleep(for: delay)
        }
        onState(.offline(reason: CallClientError(.offline, "stopped"), retryIn: nil))
    }

    /// Closes the connection and ends ``run()``.
    public func stop() async {
        let writer = shared.withLockedValue { s -> WebSocketOutboundWriter? in
            s.stopped = true
            s.outbound?.finish()
            s.outbound = nil
            return s.writer
        }
        try? await writer?.close(.goingAway, reason: "stopped")
    }

    /// One connection: connect, authenticate, pump messages until it closes. Returns why it ended.
    private func connectOnce() async -> CallClientError {
        var wsConfiguration = WebSocketClientConfiguration(maxFrameSize: configuration.maximumMessageSize,
                                                           autoPing: .enabled(timePeriod: configuration.pingInterval))
        wsConfiguration.closeTimeout = .seconds(2)
        let result = NIOLockedValueBox<CallClientError?>(nil)
        do {
            try await WebSocketClient.connect(
                url: configuration.url, configuration: wsConfiguration,
                tlsConfiguration: configuration.tlsConfiguration, eventLoopGroup: configuration.eventLoopGroup,
                logger: logger
            ) { inbound, outbound, _ in
                if let reason = await self.session(inbound: inbound, outbound: outbound) {
                    result.withLockedValue { $0 = reason }
                }
            }
        } catch {
            return result.withLockedValue { $0 } ?? CallClientError(.connectionFailed, "\(error)")
        }
        return result.withLockedValue { $0 } ?? CallClientError(.connectionFailed, "the server closed the connection")
    }

    private func session(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async -> CallClientError? {
        var auth = Authenticator(iterator: inbound.messages(maxSize: configuration.maximumMessageSize).makeAsyncIterator(),
                                 outbound: outbound)
        let welcome: Welcome
        do {
            welcome = try await withAuthenticationDeadline(outbound) { try await self.authenticate(&auth) }
        } catch let error as CallClientError {
            try? await outbound.close(.policyViolation, reason: nil)
            return error
        } catch {
            try? await outbound.close(.policyViolation, reason: nil)
            return CallClientError(.authenticationFailed, "\(error)")
        }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let proceed = shared.withLockedValue { s -> Bool in
            guard !s.stopped else { return false }
            s.outbound = continuation
            s.writer = outbound
            s.backoff.reset()
            return true
        }
        guard proceed else { return nil }
        onState(.online(welcome))
        var reason: CallClientError?
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await text in stream {
                    do { try await outbound.writeTextMessage(text) } catch { break }
                }
            }
            do {
                while let message = try await auth.next() {
                    if case .ping(let p) = message {
                        send(.pong(RequestReference(requestId: p.requestId)))
                        continue
                    }
                    if case .error(let e) = message, e.code.rejectsCredentials {
                        // The server closes the session next (a signed-out token, a reset device).
                        reason = CallClientError(.credentialsRejected, "\(e.code.rawValue): \(e.message)")
                    }
                    onMessage(message)
                }
            } catch {
                reason = CallClientError(.badResponse, "\(error)")
                try? await outbound.close(.protocolError, reason: nil)
            }
            shared.withLockedValue { s in
                s.outbound?.finish()
                s.outbound = nil
                s.writer = nil
            }
            group.cancelAll()
        }
        return reason
    }

    /// Runs `body`; closes the connection if it has not finished within the authentication timeout.
    private func withAuthenticationDeadline<R: Sendable>(
        _ outbound: WebSocketOutboundWriter, _ body: () async throws -> R
    ) async throws -> R {
        let timedOut = NIOLockedValueBox(false)
        let timeout = configuration.authenticationTimeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLockedValue { $0 = true }
            try? await outbound.close(.policyViolation, reason: "authentication timeout")
        }
        defer { watchdog.cancel() }
        do {
            return try await body()
        } catch {
            if timedOut.withLockedValue({ $0 }) {
                throw CallClientError(.timeout, "no welcome within \(timeout)")
            }
            throw error
        }
    }
}

extension SignalingClient.Authenticator {
    /// Reads the next message, which must be a `welcome`; an `error` or a closed connection is an
    /// `authenticationFailed`.
    public mutating func expectWelcome() async throws -> Welcome {
        switch try await next() {
        case .welcome(let w):
            return w
        case .error(let e) where e.code.rejectsCredentials:
            throw CallClientError(.credentialsRejected, "\(e.code.rawValue): \(e.message)")
        case .error(let e):
            throw CallClientError(.authenticationFailed, e.message, underlying: e)
        case nil:
            throw CallClientError(.authenticationFailed, "the server closed the connection during authentication")
        case let other?:
            throw CallClientError(.badResponse, "expected welcome, got \(other.type)")
        }
    }
}
