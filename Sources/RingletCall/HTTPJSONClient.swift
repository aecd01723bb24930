import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RingletCore

/// A small HTTP/1.1 client for the few JSON requests a device or phone makes to `ringlet serve` (device
/// registration, session checks): one request per connection, `Connection: close`, a bounded response.
public struct HTTPJSONClient: Sendable {
    /// An HTTP response.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The body (at most ``HTTPJSONClient/maximumResponseSize`` bytes).
        public let body: [UInt8]
    }

    /// A parsed `http://` or `https://` base URL.
    public struct BaseURL: Hashable, Sendable {
        /// Whether TLS is used.
        public let tls: Bool
        /// The host name or address.
        public let host: String
        /// The port.
        public let port: Int
        /// The path prefix (no trailing slash).
        public let pathPrefix: String

        /// Parses `http://host[:port][/prefix]` or `https://name[:port][/prefix]` (a host name: see the throw).
        /// - Throws: `invalidURL`, also for `https://` with an IP address.
        public init(parsing text: String) throws(CallClientError) {
            let tls: Bool
            var rest: Substring
            if text.hasPrefix("https://") {
                tls = true
                rest = text.dropFirst(8)
            } else if text.hasPrefix("http://") {
                tls = false
                rest = text.dropFirst(7)
            } else {
                throw CallClientError(.invalidURL, "the server URL must start with http:// or https://")
            }
            var prefix = ""
            if let slash = rest.firstIndex(of: "/") {
                prefix = String(rest[slash...])
                while prefix.hasSuffix("/") { prefix.removeLast() }
                rest = rest[..<slash]
            }
            var host = String(rest)
            var port = tls ? 443 : 80
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw CallClientError(.invalidURL, "unclosed IPv6 literal") }
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                        throw CallClientError(.invalidURL, "bad port")
                    }
                    port = p
                }
            } else if let colon = rest.lastIndex(of: ":") {
                host = String(rest[..<colon])
                guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                    throw CallClientError(.invalidURL, "bad port")
                }
                port = p
            }
            guard !host.isEmpty, !host.contains("@") else { throw CallClientError(.invalidURL, "no host") }
            // TLS checks the certificate against the name in the URL, and the WebSocket client sends that name as
            // SNI, which an IP address cannot be (RFC 6066 §3): an https:// server is named by host name.
            if tls, IPAddress(host) != nil {
                throw CallClientError(.invalidURL, "an https:// server must be given by the host name its certificate names, not by IP address")
            }
            self.tls = tls
            self.host = host
            self.port = port
            self.pathPrefix = prefix
        }

        /// The `ws://` / `wss://` URL of `path` on this server.
        public func webSocketURL(_ path: String) -> String {
            "\(tls ? "wss" : "ws")://\(authority)\(pathPrefix)\(path)"
        }

        /// `host:port` as it goes into a URL and the `Host` header.
        public var authority: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return "\(h):\(port)"
        }
    }

    /// The largest response body kept. 1 MiB.
    public static let maximumResponseSize = 1 << 20

    /// The server.
    public let base: BaseURL
    /// The loops connections run on.
    public let eventLoopGroup: any EventLoopGroup
    /// TLS settings for `https://` (nil: the system's trust roots).
    public let tlsConfiguration: TLSConfiguration?
    /// How long a request may take in all. Default 10 s.
    public var timeout: TimeAmount = .seconds(10)

    /// A client for `base`.
    public init(base: BaseURL, eventLoopGroup: any EventLoopGroup, tlsConfiguration: TLSConfiguration? = nil) {
        self.base = base
        self.eventLoopGroup = eventLoopGroup
        self.tlsConfiguration = tlsConfiguration
    }

    /// Sends one request with a JSON body (or none) and returns the response.
    /// - Throws: `connectionFailed`, `timeout`, `badResponse` (a body over the limit).
    public func request(_ method: HTTPMethod, _ path: String, json body: [UInt8]?,
                        headers extra: [(String, String)] = []) async throws(CallClientError) -> Response {
        let loop = eventLoopGroup.next()
        let promise = loop.makePromise(of: Response.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: base.pathPrefix + path)
        head.headers.add(name: "Host", value: base.authority)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "User-Agent", value: "ringlet")
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        for (name, value) in extra { head.headers.add(name: name, value: value) }
        let sslContext: NIOSSLContext?
        do {
            sslContext = base.tls ? try NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil
        } catch {
            throw CallClientError(.connectionFailed, "TLS set-up failed: \(error)")
        }
        let host = base.host
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext,
                                                                serverHostname: IPAddress(host) == nil ? host : nil))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ResponseCollector(promise: promise))
                }
            }
        let requestBody = body
        let requestHead = head
        let deadline = timeout
        let connect = bootstrap.connect(host: base.host, port: base.port)
        connect.whenSuccess { channel in
            channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
            if let requestBody {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: requestBody))),
                              promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let timer = channel.eventLoop.scheduleTask(in: deadline) {
                promise.fail(CallClientError(.timeout, "no response within \(deadline)"))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in
                timer.cancel()
                channel.close(promise: nil)
            }
        }
        connect.whenFailure { promise.fail(CallClientError(.connectionFailed, "\($0)")) }
        do {
            return try await promise.futureResult.get()
        } catch let error as CallClientError {
            throw error
        } catch {
            throw CallClientError(.connectionFailed, "\(error)")
        }
    }
}

/// Collects one HTTP response into a promise.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<HTTPJSONClient.Response>
    var status = 0
    var body: [UInt8] = []
    var done = false

    init(promise: EventLoopPromise<HTTPJSONClient.Response>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= HTTPJSONClient.maximumResponseSize else {
                finish(.failure(CallClientError(.badResponse, "response body over \(HTTPJSONClient.maximumResponseSize) bytes")))
                context.close(promise: nil)
                return
            }
            body += buffer.readableBytesView
        case .end:
            finish(.success(.init(status: status, body: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(CallClientError(.connectionFailed, "the server closed the connection before a response")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(CallClientError(.connectionFailed, "\(error)")))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<HTTPJSONClient.Response, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
