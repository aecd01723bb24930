import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of `ringlet serve`'s routers (HTTP and WebSocket): Hummingbird's basic context plus the
/// connection it came on, so that limits can be keyed by the client's address (failed authentications) and a
/// WebSocket session can be closed from the server's side however its writer is stuck.
public struct RingletRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    /// The client's IP address as text (`192.0.2.1`, `2001:db8::1`); nil when the connection has no peer
    /// address (an in-process test). Behind a proxy this is the proxy's address.
    public var clientIP: String? { channel.remoteAddress?.ipAddress }
}
