import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS
import RingletNIO

/// Hummingbird's HTTP channel (HTTP/1.1 with the WebSocket upgrade) behind TLS: each connection gets the guards
/// of ``TLSConnectionSetup`` (plaintext check, the current certificate, a handshake deadline) before the HTTP
/// handlers. With ``TLSListenerRole/httpsAndTURN`` it also carries TURN over TLS on the same port (docs/deploy.md,
/// "One address, port 443"): after the handshake, a connection that chose ALPN `stun.turn` (RFC 7443), or whose
/// first byte is a STUN message's (first two bits 00: every TURN client starts with a request, RFC 8656 §3.1 and
/// RFC 8489 §5, while an HTTP request starts with a letter), is handed to the TURN server; the HTTP handlers
/// behind it then see nothing. `Base` is the guarded HTTP channel (``GuardedChildChannel``), so the pipeline is
/// TLS guards, TLS, handshake deadline, [TURN demultiplexer], ``HTTPConnectionGuard``, HTTP.
struct TLSServerChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let setup: TLSConnectionSetup
    let turn: TURNStreamAcceptor?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try setup.addHandlers(to: channel)
            if setup.role == .httpsAndTURN, let turn {
                try channel.pipeline.syncOperations.addHandler(TURNOverTLSDemultiplexer(turn: turn, logger: logger))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Where a connection found to carry TURN goes: the running TURN server, once it has started.
public final class TURNStreamAcceptor: Sendable {
    private let server = NIOLockedValueBox<TURNRelayServer?>(nil)

    public init() {}

    /// Set when the TURN server has started (and to nil when it stops).
    func attach(_ server: TURNRelayServer?) { self.server.withLockedValue { $0 = server } }

    /// A handler serving one connection as TURN, or nil while no TURN server runs.
    func handler() -> (any ChannelHandler)? { server.withLockedValue { $0 }?.streamHandler() }
}

/// After TLS, on a port that serves both HTTPS and TURN over TLS: decides once, from ALPN or the first byte,
/// and either leaves the pipeline (HTTP) or puts the TURN server's handler right after itself and leaves. A TURN
/// connection also takes the ``HTTPConnectionGuard`` out (its slot among the HTTP connections is freed, and its
/// HTTP deadlines — the idle one above all — no longer apply); the TURN handler holds it to the TURN server's
/// stream limits (connection caps, time without an allocation, write stall) from then on.
final class TURNOverTLSDemultiplexer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let turn: TURNStreamAcceptor
    let logger: Logger
    private var decided = false

    init(turn: TURNStreamAcceptor, logger: Logger) {
        self.turn = turn
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !decided, let event = event as? TLSUserEvent, case .handshakeCompleted(let alpn) = event,
           alpn == ServerTLS.turnALPN
        {
            decided = true
            logger.debug("TURN over TLS on the HTTPS port", metadata: ["decided by": "ALPN stun.turn"])
            becomeTURN(context, first: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else {
            context.fireChannelRead(data)
            return
        }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        decided = true
        if first < 0x40 {
            logger.debug("TURN over TLS on the HTTPS port", metadata: ["decided by": "first byte"])
            becomeTURN(context, first: data)
        } else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    private func becomeTURN(_ context: ChannelHandlerContext, first: NIOAny?) {
        guard let handler = turn.handler() else {
            logger.info("TURN over TLS refused: the TURN server is not running")
            context.close(promise: nil)
            return
        }
        do {
            let pipeline = context.pipeline.syncOperations
            if let guardContext = try? pipeline.context(handlerType: HTTPConnectionGuard.self) {
                pipeline.removeHandler(context: guardContext, promise: nil)
            }
            try pipeline.addHandler(handler, position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        if let first { context.fireChannelRead(first) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
