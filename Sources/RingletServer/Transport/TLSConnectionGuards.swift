import Logging
import Metrics
import NIOCore
import NIOSSL
import NIOTLS
import RingletCore

/// What every TLS listener of `ringlet serve` puts in front of a connection (docs/deploy.md, "Bad input on TLS
/// ports"): a first-byte check before TLS, the TLS handler with the current context, and a handshake deadline.
/// One value serves every connection of a listener.
public struct TLSConnectionSetup: Sendable {
    /// Where the contexts come from (replaced on SIGHUP).
    public let store: TLSContextStore
    /// What the listener serves (decides ALPN and the answer to plain HTTP).
    public let role: TLSListenerRole
    /// How long the handshake may take, counted from the connection's start.
    public let handshakeTimeout: TimeAmount
    /// The public base URL, named in the answer to a plain HTTP request.
    public let publicBaseURL: String
    let logger: Logger
    let refusals: TLSRefusalCounters

    public init(store: TLSContextStore, role: TLSListenerRole, handshakeTimeout: TimeAmount, publicBaseURL: String,
                logger: Logger, metricsFactory: any MetricsFactory) {
        self.store = store
        self.role = role
        self.handshakeTimeout = handshakeTimeout
        self.publicBaseURL = publicBaseURL
        self.logger = logger
        refusals = TLSRefusalCounters(factory: metricsFactory, role: role)
    }

    /// Adds the guard, the TLS handler and the deadline to a new connection's pipeline (on its loop).
    /// - Throws: when there is no context for the role (never after a successful start).
    public func addHandlers(to channel: any Channel) throws {
        guard let context = store.context(role) else { throw ServerTLSError("no TLS context for \(role)") }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(PlaintextOnTLSGuard(setup: self))
        try sync.addHandler(NIOSSLServerHandler(context: context))
        try sync.addHandler(TLSHandshakeWatch(setup: self))
    }

    /// Logs a refused connection (the peer's address is never logged) and counts it.
    func refused(_ reason: TLSRefusal, detail: String? = nil) {
        refusals.count(reason)
        var metadata: Logger.Metadata = ["listener": "\(role)", "reason": "\(reason.rawValue)"]
        if let detail { metadata["detail"] = "\(detail)" }
        logger.info("TLS connection refused: \(reason.explanation)", metadata: metadata)
    }
}

/// Why a connection to a TLS port was closed before it carried anything.
enum TLSRefusal: String, CaseIterable {
    case plainHTTP = "plain_http"
    case plainSTUN = "plain_stun"
    case notTLS = "not_tls"
    case handshakeTimeout = "handshake_timeout"
    case handshakeFailed = "handshake_failed"

    var explanation: String {
        switch self {
        case .plainHTTP: "a plain HTTP request on a TLS port (answered 400: use https://)"
        case .plainSTUN: "a plain STUN/TURN message on a TLS port (use turn: on the plain TURN port, or turns:)"
        case .notTLS: "the client does not speak TLS"
        case .handshakeTimeout: "the TLS handshake did not finish in time"
        case .handshakeFailed: "the TLS handshake failed"
        }
    }
}

/// `ringlet_tls_refused_total{listener, reason}`.
struct TLSRefusalCounters: Sendable {
    let counters: [TLSRefusal: Counter]

    init(factory: any MetricsFactory, role: TLSListenerRole) {
        var counters: [TLSRefusal: Counter] = [:]
        for reason in TLSRefusal.allCases {
            counters[reason] = Counter(label: "ringlet_tls_refused_total",
                                       dimensions: [("listener", "\(role)"), ("reason", reason.rawValue)], factory: factory)
        }
        self.counters = counters
    }

    func count(_ reason: TLSRefusal) { counters[reason]?.increment() }
}

/// Looks at the first byte a client sends to a TLS port, before TLS (RFC 8446 §5.1: a TLS client starts with a
/// handshake record, 0x16). TLS goes on untouched; a plain HTTP request gets a plain `400` naming the https://
/// address (on a listener that serves HTTPS) and is closed; plain STUN/TURN or anything else is closed. Each
/// refusal is logged and counted; nothing else is disturbed.
final class PlaintextOnTLSGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let setup: TLSConnectionSetup
    private var decided = false

    init(setup: TLSConnectionSetup) { self.setup = setup }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        decided = true
        switch StreamStart.classify(first) {
        case .tls:
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .http:
            setup.refused(.plainHTTP)
            guard setup.role != .turn else {
                context.close(promise: nil)
                return
            }
            let text = "This port speaks HTTPS only: use \(setup.publicBaseURL)\n"
            let answer = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n" + text
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)))
                .whenComplete { _ in context.close(promise: nil) }
        case .stun:
            setup.refused(.plainSTUN)
            context.close(promise: nil)
        case .unknown:
            setup.refused(.notTLS)
            context.close(promise: nil)
        }
    }
}

/// Closes a connection whose TLS handshake has not finished within the deadline (counted from when the
/// connection is up), and logs a failed handshake once (BoringSSL's reason, never the peer's address); then it
/// leaves the pipeline.
final class TLSHandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let setup: TLSConnectionSetup
    private var deadline: Scheduled<Void>?
    private var done = false

    init(setup: TLSConnectionSetup) { self.setup = setup }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard deadline == nil, !done else { return }
        let setup = self.setup
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: setup.handshakeTimeout) { [weak self] in
            guard let self, !self.done else { return }
            self.done = true
            setup.refused(.handshakeTimeout)
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !done {
            done = true
            deadline?.cancel()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Before the handshake is done, errors are the handshake's: log once and close, without passing them to
        // the HTTP server (which would report them as its own).
        guard !done else {
            context.fireErrorCaught(error)
            return
        }
        done = true
        deadline?.cancel()
        setup.refused(.handshakeFailed, detail: "\(error)")
        context.close(promise: nil)
    }
}
