import HTTPTypes
import Hummingbird
import NIOCore
import RingletCore

/// Who sent an HTTP request and over what, as far as the server can tell (docs/deploy.md, "Behind a proxy").
///
/// Every request that reaches a route — HTTP or a WebSocket upgrade — has been normalised by the first
/// middleware of both routers (``ClientOriginMiddleware``, with ``ClientOrigin/normalize``): it carries exactly one
/// `X-Forwarded-For` (the client's address) and one `X-Forwarded-Proto` (`https` or `http`) written by this
/// server, and its context's ``RingletRequestContext/clientIP`` is that address. Forwarded headers a client sent
/// are dropped unless the connection came from a trusted proxy of `--behind-proxy`, so routes and middleware
/// (per-address limits, HSTS, logs) can read ``init(headers:)`` or the context and believe it.
public struct ClientOrigin: Sendable, Hashable {
    /// The client's address: the TCP peer, or what trusted proxies said.
    public var address: IPAddress?
    /// Whether the client reached the server over HTTPS (this server's TLS, or a trusted proxy's).
    public var isHTTPS: Bool

    public init(address: IPAddress?, isHTTPS: Bool) {
        self.address = address
        self.isHTTPS = isHTTPS
    }

    /// The origin written into a normalised request; nil for a request that was not normalised.
    public init?(headers: HTTPFields) {
        guard let proto = headers[.xForwardedProto] else { return nil }
        isHTTPS = proto == "https"
        address = headers[.xForwardedFor].flatMap { IPAddress($0) }
    }

    /// How a listener judges forwarded headers.
    public struct Policy: Sendable, Hashable {
        /// Whether forwarded headers may be believed at all (`--behind-proxy`).
        public var behindProxy: Bool
        /// The proxies whose headers are believed.
        public var trustedProxies: [IPNetwork]
        /// Whether this listener terminates TLS itself.
        public var tls: Bool

        public init(behindProxy: Bool, trustedProxies: [IPNetwork], tls: Bool) {
            self.behindProxy = behindProxy
            self.trustedProxies = trustedProxies
            self.tls = tls
        }

        func trusts(_ ip: IPAddress) -> Bool { trustedProxies.contains { $0.contains(ip) } }
    }

    /// The origin of a request from `peer` with `headers`: from a trusted proxy, the client found in
    /// `X-Forwarded-For` (``ForwardedFor``) and the scheme of `X-Forwarded-Proto` (its first value); from anyone
    /// else, the peer and this listener's own scheme.
    public static func resolve(peer: IPAddress?, headers: HTTPFields, policy: Policy) -> ClientOrigin {
        guard policy.behindProxy, let peer, policy.trusts(peer) else {
            return ClientOrigin(address: peer, isHTTPS: policy.tls)
        }
        let chain = headers[values: .xForwardedFor]
        let client = chain.isEmpty ? peer : ForwardedFor.client(values: chain, peer: peer, isTrusted: policy.trusts)
        let proto = headers[.xForwardedProto]?.split(separator: ",").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        return ClientOrigin(address: client, isHTTPS: proto.map { $0 == "https" } ?? policy.tls)
    }

    /// `request` with its forwarded headers (`X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`,
    /// `Forwarded`, `X-Real-IP`) replaced by this server's judgement of where it came from (see the type's
    /// documentation).
    public static func normalize(_ request: Request, peer: SocketAddress?, policy: Policy) -> Request {
        let peerIP = peer?.ipAddress.flatMap { IPAddress($0) }
        let origin = resolve(peer: peerIP, headers: request.headers, policy: policy)
        var head = request.head
        for name in [HTTPField.Name.xForwardedFor, .xForwardedProto, .xForwardedHost, .forwarded, .xRealIP] {
            head.headerFields[name] = nil
        }
        if let address = origin.address { head.headerFields[.xForwardedFor] = address.description }
        head.headerFields[.xForwardedProto] = origin.isHTTPS ? "https" : "http"
        return Request(head: head, body: request.body)
    }
}

/// The first middleware of `ringlet serve`'s routers (HTTP and WebSocket): replaces the request's forwarded
/// headers with this server's judgement (``ClientOrigin/normalize(_:peer:policy:)``) and sets the context's
/// ``RingletRequestContext/clientIP`` to the client's address, so that per-address limits (failed
/// authentications, over HTTP and signaling alike) count the client behind a trusted proxy, not the proxy.
struct ClientOriginMiddleware: RouterMiddleware {
    let policy: ClientOrigin.Policy

    func handle(_ request: Request, context: RingletRequestContext,
                next: (Request, RingletRequestContext) async throws -> Response) async throws -> Response {
        let normalized = ClientOrigin.normalize(request, peer: context.channel.remoteAddress, policy: policy)
        var context = context
        context.clientIP = ClientOrigin(headers: normalized.headers)?.address?.description
        return try await next(normalized, context)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
    static let forwarded = Self("Forwarded")!
    static let xRealIP = Self("X-Real-IP")!
}

/// Adds `Strict-Transport-Security: max-age=N` (RFC 6797) to every answer of a request that came over HTTPS
/// (``ClientOrigin``), so browsers keep to https:// for this host; never on plain HTTP, where RFC 6797 §7.2 says
/// it must not be sent.
struct HSTSMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxAgeSeconds: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        if ClientOrigin(headers: request.headers)?.isHTTPS == true {
            response.headers[.strictTransportSecurity] = "max-age=\(maxAgeSeconds)"
        }
        return response
    }
}

extension HTTPField.Name {
    static let strictTransportSecurity = Self("Strict-Transport-Security")!
}
