import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Which side of the call a signaling message comes from or goes to.
package enum Side: String, Sendable {
    case page, swift
    package var other: Side { self == .page ? .swift : .page }
}

/// The harness's signaling and report channel: a tiny HTTP/1.1 server (NIOHTTP1) on the namespace's 127.0.0.1.
///
/// Routes:
/// - `GET /pages/NAME` — a file from the test bundle's Pages folder.
/// - `POST /report` — the page's periodic JSON report; the latest per `tag` is kept (and every one is counted).
/// - `POST /offer?from=S`, `POST /answer?from=S` — store a description; `GET /offer?for=S` returns the one the
///   other side posted, or 204 while there is none (the page polls).
/// - `POST /candidate?from=S` appends a candidate (JSON); `GET /candidate?for=S` drains the queue as a JSON array.
/// The Swift peer uses the same mailboxes directly through `post(_:from:_:)`, `take(_:for:)` and
/// `takeCandidates(for:)`, without HTTP. State is guarded by a lock (the server runs on a NIO loop, the test in
/// Swift concurrency).
package final class SignalingServer: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is behind `lock`.
    private let lock = NSLock()
    private var descriptions: [String: Data] = [:]  // "offer:page" = offer posted by page
    private var candidates: [Side: [Data]] = [.page: [], .swift: []]  // queued FOR that side
    private var reports: [String: [String: Any]] = [:]
    private var reportCount = 0
    package private(set) var firstPageRequest: ContinuousClock.Instant?
    private var channel: (any Channel)?
    package let pagesDirectory: URL

    /// The port it listens on, after `start`.
    package private(set) var port = 0

    package init(pagesDirectory: URL) {
        self.pagesDirectory = pagesDirectory
    }

    /// Binds 127.0.0.1:0 from inside `eventLoop` (so a namespace loop puts the socket in the namespace).
    package func start(on eventLoop: any EventLoop) async throws {
        let channel = try await eventLoop.flatSubmit {
            ServerBootstrap(group: eventLoop)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(HTTPHandler(server: self))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
        }.get()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    package func stop() async {
        try? await channel?.close()
    }

    // MARK: Mailboxes

    package func post(_ kind: String, from side: Side, _ body: Data) {
        lock.withLock {
            if kind == "candidate" {
                candidates[side.other, default: []].append(body)
            } else {
                descriptions["\(kind):\(side.rawValue)"] = body
            }
        }
    }

    /// The description of `kind` posted by the other side, if any (not removed).
    package func take(_ kind: String, for side: Side) -> Data? {
        lock.withLock { descriptions["\(kind):\(side.other.rawValue)"] }
    }

    package func takeCandidates(for side: Side) -> [Data] {
        lock.withLock {
            let list = candidates[side] ?? []
            candidates[side] = []
            return list
        }
    }

    package func storeReport(_ body: Data) {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return }
        let tag = object["tag"] as? String ?? "?"
        lock.withLock {
            reports[tag] = object
            reportCount += 1
        }
    }

    /// The latest report of `tag`, as JSON text (for diagnostics) and as a dictionary.
    package func report(_ tag: String) -> [String: Any]? {
        lock.withLock { reports[tag] }
    }

    package func pageRequested() {
        lock.withLock { if firstPageRequest == nil { firstPageRequest = .now } }
    }

    // MARK: HTTP

    package func respond(method: HTTPMethod, uri: String, body: Data) -> (HTTPResponseStatus, String, Data) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let path = String(parts.first ?? "")
        var query: [String: String] = [:]
        if parts.count > 1 {
            for item in parts[1].split(separator: "&") {
                let kv = item.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { query[String(kv[0])] = String(kv[1]) }
            }
        }
        let json = "application/json"
        switch (method, path) {
        case (.GET, _) where path.hasPrefix("/pages/"):
            let name = String(path.dropFirst("/pages/".count))
            guard !name.contains(".."), !name.contains("/"),
                  let data = try? Data(contentsOf: pagesDirectory.appendingPathComponent(name))
            else { return (.notFound, "text/plain", Data("not found".utf8)) }
            pageRequested()
            return (.ok, name.hasSuffix(".html") ? "text/html; charset=utf-8" : "application/octet-stream", data)
        case (.POST, "/report"):
            storeReport(body)
            return (.noContent, json, Data())
        case (.POST, "/offer"), (.POST, "/answer"), (.POST, "/candidate"):
            guard let from = query["from"].flatMap(Side.init(rawValue:)) else { return (.badRequest, json, Data()) }
            post(String(path.dropFirst()), from: from, body)
            return (.noContent, json, Data())
        case (.GET, "/offer"), (.GET, "/answer"):
            guard let side = query["for"].flatMap(Side.init(rawValue:)) else { return (.badRequest, json, Data()) }
            guard let data = take(String(path.dropFirst()), for: side) else { return (.noContent, json, Data()) }
            return (.ok, json, data)
        case (.GET, "/candidate"):
            guard let side = query["for"].flatMap(Side.init(rawValue:)) else { return (.badRequest, json, Data()) }
            let list = takeCandidates(for: side)
            var out = Data("[".utf8)
            for (i, c) in list.enumerated() {
                if i > 0 { out.append(contentsOf: Array(",".utf8)) }
                out.append(c)
            }
            out.append(contentsOf: Array("]".utf8))
            return (.ok, json, out)
        default:
            return (.notFound, "text/plain", Data("not found".utf8))
        }
    }
}

/// One HTTP connection: collects a request, answers it from `SignalingServer.respond`.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: SignalingServer
    var head: HTTPRequestHead?
    var body = Data()

    init(server: SignalingServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = Data()
        case .body(var buffer):
            if body.count < 4 << 20, let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            let (status, type, payload) = server.respond(method: head.method, uri: head.uri, body: body)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: type)
            headers.add(name: "content-length", value: String(payload.count))
            headers.add(name: "cache-control", value: "no-store")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status,
                                                                  headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: payload.count)
            buffer.writeBytes(payload)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
