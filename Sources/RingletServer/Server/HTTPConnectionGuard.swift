import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import RingletNIO

/// The limits every HTTP/WebSocket connection of `ringlet serve` is held to (docs/security.md): a cap on
/// connections in total and per client IP, deadlines for a request's head, for its body and handling, for an
/// idle kept-alive connection, and for a peer that stops reading (a stalled write).
///
/// It is the first handler of the connection's pipeline that sees plain bytes — after a TLS handler when there
/// is one, before the HTTP codec — so it works the same for HTTP, HTTPS, WS and WSS, and for the requests that
/// never finish their head, which no HTTP-level handler sees. It reads nothing but the bytes' boundaries: the
/// end of a request head (`CRLF CRLF`) and the start of the server's answer (`HTTP/1.1 101` switches it to a
/// WebSocket connection, held only to the stall deadline; the signaling hub has its own deadlines).
///
/// ```
///   open ──▶ WAITING (head timeout) ──first byte──▶ HEAD (the first: same deadline; later ones: from their first byte)
///              ▲                                                   │ CRLF CRLF
///              │ (keep-alive idle timeout)                          ▼
///          RESPONDING ◀─────────── server writes ────────────── REQUEST (request timeout)
///              │ next byte: HEAD                  101 answer: UPGRADED (no deadline but the stall)
/// ```
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked Sendable: every var is touched only on the channel's event loop (handler callbacks and the
    // scheduled check, which runs on that loop).
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The deadlines, the connection caps and where refusals are counted; one per listener.
    struct Settings: Sendable {
        let headTimeout: TimeAmount
        let requestTimeout: TimeAmount
        let keepAliveIdle: TimeAmount
        let writeStall: TimeAmount
        let limiter: ConnectionLimiter
        let closes: GuardMetrics

        init(limits: ServerLimits, maxConnections: Int, metricsFactory: any MetricsFactory) {
            headTimeout = .seconds(Int64(limits.httpHeadTimeoutSeconds))
            requestTimeout = .seconds(Int64(limits.httpRequestTimeoutSeconds))
            keepAliveIdle = .seconds(Int64(limits.httpKeepAliveIdleSeconds))
            writeStall = .seconds(Int64(limits.writeStallSeconds))
            limiter = ConnectionLimiter(maximumTotal: maxConnections,
                                        maximumPerIP: min(limits.httpMaxConnectionsPerIP, maxConnections))
            closes = GuardMetrics(factory: metricsFactory, limiter: limiter)
        }
    }

    /// Why the guard closed a connection (the `reason` of `ringlet_http_closed_total`).
    enum CloseReason: String, CaseIterable {
        case connectionCap = "connection_cap"
        case perIPCap = "per_ip_cap"
        case headTimeout = "head_timeout"
        case requestTimeout = "request_timeout"
        case idle
        case writeStall = "write_stall"
    }

    enum Phase {
        case waiting(first: Bool)
        case head
        case request
        case responding
        case upgraded
    }

    let settings: Settings
    private var phase = Phase.waiting(first: true)
    private var admittedIP: String??
    /// Bytes of `CRLF CRLF` matched so far at the end of what was read.
    private var matched = 0
    private var phaseDeadline: NIODeadline?
    private var stallDeadline: NIODeadline?
    private var scheduled: (at: NIODeadline, task: Scheduled<Void>)?
    private var closed = false

    init(_ settings: Settings) {
        self.settings = settings
    }

    // MARK: Life cycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard admittedIP == nil, !closed else { return }
        let ip = context.channel.remoteAddress?.ipAddress
        if let refusal = settings.limiter.admit(ip) {
            close(context, refusal == .total ? .connectionCap : .perIPCap)
            return
        }
        admittedIP = .some(ip)
        setPhase(.waiting(first: true), context)
    }

    private func finish() {
        scheduled?.task.cancel()
        scheduled = nil
        if case .some(let ip) = admittedIP {
            settings.limiter.release(ip)
            admittedIP = nil
        }
    }

    // MARK: Bytes

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let buffer = unwrapInboundIn(data)
        switch phase {
        case .waiting(first: true):
            // The first head's deadline runs from the connection's opening, not from its first byte.
            phase = .head
            scanHead(buffer, context)
        case .waiting(first: false), .responding:
            setPhase(.head, context)
            scanHead(buffer, context)
        case .head:
            scanHead(buffer, context)
        case .request, .upgraded:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch phase {
        case .request, .head:
            if case .byteBuffer(let buffer) = unwrapOutboundIn(data), Self.isSwitchingProtocols(buffer) {
                setPhase(.upgraded, context)
            } else {
                setPhase(.responding, context)
            }
        case .responding:
            phaseDeadline = .now() + settings.keepAliveIdle
        case .waiting, .upgraded:
            break
        }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline = nil
        } else if stallDeadline == nil {
            stallDeadline = .now() + settings.writeStall
            arm(context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Looks for the end of a request head (`CRLF CRLF`) in `buffer`, carrying a partial match over reads.
    private func scanHead(_ buffer: ByteBuffer, _ context: ChannelHandlerContext) {
        let pattern: [UInt8] = [13, 10, 13, 10]
        for byte in buffer.readableBytesView {
            if byte == pattern[matched] {
                matched += 1
                if matched == 4 {
                    matched = 0
                    setPhase(.request, context)
                    return
                }
            } else {
                matched = byte == 13 ? 1 : 0
            }
        }
    }

    /// Whether an answer starts with a `101 Switching Protocols` status line (a WebSocket upgrade).
    static func isSwitchingProtocols(_ buffer: ByteBuffer) -> Bool {
        let prefix = Array("HTTP/1.1 101".utf8)
        guard buffer.readableBytes >= prefix.count else { return false }
        return buffer.readableBytesView.prefix(prefix.count).elementsEqual(prefix)
    }

    // MARK: Deadlines

    private func setPhase(_ new: Phase, _ context: ChannelHandlerContext) {
        phase = new
        let now = NIODeadline.now()
        switch new {
        case .waiting(let first): phaseDeadline = now + (first ? settings.headTimeout : settings.keepAliveIdle)
        case .head: phaseDeadline = now + settings.headTimeout
        case .request: phaseDeadline = now + settings.requestTimeout
        case .responding: phaseDeadline = now + settings.keepAliveIdle
        case .upgraded: phaseDeadline = nil
        }
        matched = 0
        arm(context)
    }

    private var deadline: NIODeadline? {
        switch (phaseDeadline, stallDeadline) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    /// Makes sure a check runs at the current deadline (or earlier; the check re-arms itself).
    private func arm(_ context: ChannelHandlerContext) {
        guard let deadline, !closed else { return }
        if let scheduled, scheduled.at <= deadline { return }
        scheduled?.task.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.check(context)
        }
        scheduled = (deadline, task)
    }

    private func check(_ context: ChannelHandlerContext) {
        scheduled = nil
        guard !closed else { return }
        let now = NIODeadline.now()
        if let stallDeadline, stallDeadline <= now {
            return close(context, .writeStall)
        }
        if let phaseDeadline, phaseDeadline <= now {
            switch phase {
            case .waiting(first: true), .head: return close(context, .headTimeout)
            case .request: return close(context, .requestTimeout)
            case .waiting(first: false), .responding: return close(context, .idle)
            case .upgraded: break
            }
        }
        arm(context)
    }

    private func close(_ context: ChannelHandlerContext, _ reason: CloseReason) {
        guard !closed else { return }
        closed = true
        settings.closes.count(reason)
        context.close(mode: .all, promise: nil)
    }
}

/// `ringlet_http_connections` (open now) and `ringlet_http_closed_total{reason}` (closed or refused by the guard).
final class GuardMetrics: Sendable {
    private let counters: [String: Counter]
    private let open: Gauge
    private let limiter: ConnectionLimiter

    init(factory: any MetricsFactory, limiter: ConnectionLimiter) {
        var counters: [String: Counter] = [:]
        for reason in HTTPConnectionGuard.CloseReason.allCases {
            counters[reason.rawValue] = Counter(label: "ringlet_http_closed_total", dimensions: [("reason", reason.rawValue)],
                                                factory: factory)
        }
        self.counters = counters
        open = Gauge(label: "ringlet_http_connections", factory: factory)
        self.limiter = limiter
    }

    func count(_ reason: HTTPConnectionGuard.CloseReason) {
        counters[reason.rawValue]?.increment()
        update()
    }

    /// Records the open connections now (also called by `/metrics` readers through the server's tick).
    func update() {
        open.record(limiter.open)
    }
}

/// A server child channel that puts an ``HTTPConnectionGuard`` in front of another one's pipeline. A TLS
/// channel may wrap this one: its handler then comes first and the guard sees the decrypted bytes.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let settings: HTTPConnectionGuard.Settings

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionGuard(settings))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrade through `webSocketRouter`, every connection held to `settings`
    /// (``HTTPConnectionGuard``).
    static func guardedHTTP1WebSocketUpgrade(
        webSocketRouter: Router<RingletRequestContext>, configuration: HTTP1WebSocketUpgradeChannel.Configuration,
        settings: HTTPConnectionGuard.Settings
    ) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            GuardedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                   configuration: configuration),
                settings: settings)
        }
    }
}
