import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Prometheus
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

/// A real Application on 127.0.0.1 with the signaling hub, a registered device with a real key and a user with
/// a session token, over a real store (``TestStoreKind/current``).
final class SignalingLiveFixture: Sendable {
    let folder: URL
    let store: any Store
    let deviceKey: DeviceKey
    let registry = PrometheusCollectorRegistry()
    let hub: SignalingHub
    static let token = "rlu_live-test-token"

    init(authenticationDeadline: Duration = .seconds(10)) async throws {
        folder = try temporaryFolder(prefix: "ringlet-signal-live")
        store = try await APITestStore(folder: folder)
        deviceKey = try DeviceKey.generate()
        try await CallRouterFixture.seedLive(store, deviceKey: deviceKey, token: Self.token)
        hub = SignalingHub(store: store,
                           configuration: CallRouter.Configuration(stunURLs: ["stun:127.0.0.1:3478"],
                                                                   turnURLs: ["turn:127.0.0.1:3478?transport=udp"],
                                                                   turnSecret: Array("s".utf8)),
                           metricsFactory: PrometheusMetricsFactory(registry: registry),
                           logger: Logger(label: "test.signaling"), authenticationDeadline: authenticationDeadline)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Runs `body` with the port of a live server.
    func withServer(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let wsRouter = Router(context: RingletRequestContext.self)
        hub.register(on: wsRouter)
        var app = Application(router: Router(),
                              server: .http1WebSocketUpgrade(webSocketRouter: wsRouter,
                                                             configuration: .init(ws: SignalingHub.webSocketConfiguration)),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              logger: Logger(label: "test.app"))
        app.addServices(hub)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(port)
        }
    }

    var metricsText: String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Reads signaling messages from a client connection.
struct MessageReader {
    var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) { iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator() }

    /// The next server message, skipping nothing; nil when the connection closed.
    mutating func next() async throws -> ServerMessage? {
        guard let message = try await iterator.next() else { return nil }
        guard case .text(let text) = message else { throw TestSupportError("binary frame from the server") }
        return try ServerMessage(parsing: text)
    }
}

func send(_ message: ClientMessage, _ outbound: WebSocketOutboundWriter) async throws {
    try await outbound.writeTextMessage(message.text)
}

/// Answers the server's challenge as the fixture's device (`sn`, signed with `key`); returns the welcome.
func authenticateDevice(_ reader: inout MessageReader, _ outbound: WebSocketOutboundWriter, key: DeviceKey,
                        sn: String = CallRouterFixture.sn) async throws -> Welcome {
    guard case .challenge(let challenge) = try await reader.next(),
          let nonce = Base64URL.decode(challenge.nonce) else { throw TestSupportError("no challenge") }
    let signature = try key.signChallenge(nonce: nonce)
    try await send(.authDevice(AuthDevice(sn: sn, signature: Base64URL.encode(signature))), outbound)
    guard case .welcome(let welcome) = try await reader.next() else { throw TestSupportError("no welcome") }
    return welcome
}

@Suite("Signaling live over loopback", .serialized)
struct SignalingLiveTests {
    @Test("a device calls a user, the user answers, SDP is relayed, the device hangs up")
    func callOverLoopback() async throws {
        let f = try await SignalingLiveFixture()
        let (userReady, userReadyContinuation) = AsyncStream<Void>.makeStream()
        let key = f.deviceKey
        try await f.withServer { port in
            try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    let log = LogBox()
                    _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/signal/device",
                                                          logger: Logger(label: "device")) { inbound, outbound, _ in
                        var reader = MessageReader(inbound)
                        let welcome = try await authenticateDevice(&reader, outbound, key: key)
                        await log.append("welcome \(welcome.sn ?? "")")
                        for await _ in userReady { break }
                        try await send(.call(CallRequest(requestId: "c1", openId: CallRouterFixture.aliceOpenID, kind: .video,
                                                         channel: .release, callerCamera: true, calleeCamera: false)), outbound)
                        guard case .callResult(let result) = try await reader.next(), let callID = result.callId else {
                            throw TestSupportError("no call_result")
                        }
                        await log.append("call_result \(result.code.rawValue)")
                        guard case .callEvent(let event) = try await reader.next() else { throw TestSupportError("no answer") }
                        await log.append("event \(event.event.rawValue)")
                        try await send(.sdp(SessionDescription(callId: callID, sdpType: .offer, sdp: "v=0\r\ns=offer\r\n")), outbound)
                        guard case .sdp(let answer) = try await reader.next() else { throw TestSupportError("no sdp answer") }
                        await log.append("sdp \(answer.sdpType.rawValue) \(answer.sdp)")
                        try await send(.hangUp(CallAction(callId: callID, requestId: "h1")), outbound)
                        guard case .ack = try await reader.next() else { throw TestSupportError("no ack") }
                        await log.append("ack")
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    return await log.lines
                }
                group.addTask {
                    let log = LogBox()
                    _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/signal/user",
                                                          logger: Logger(label: "user")) { inbound, outbound, _ in
                        var reader = MessageReader(inbound)
                        try await send(.authUser(AuthUser(token: SignalingLiveFixture.token)), outbound)
                        guard case .welcome(let welcome) = try await reader.next() else { throw TestSupportError("no welcome") }
                        await log.append("welcome \(welcome.openId ?? "")")
                        userReadyContinuation.yield()
                        guard case .ring(let ring) = try await reader.next() else { throw TestSupportError("no ring") }
                        await log.append("ring \(ring.deviceName)")
                        try await send(.answer(CallAction(callId: ring.callId)), outbound)
                        guard case .sdp(let offer) = try await reader.next() else { throw TestSupportError("no offer") }
                        await log.append("sdp \(offer.sdpType.rawValue) \(offer.sdp)")
                        try await send(.sdp(SessionDescription(callId: ring.callId, sdpType: .answer, sdp: "v=0\r\ns=answer\r\n")), outbound)
                        guard case .callEvent(let event) = try await reader.next() else { throw TestSupportError("no hang-up") }
                        await log.append("event \(event.event.rawValue)")
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    return await log.lines
                }
                var logs: [[String]] = []
                for try await log in group { logs.append(log) }
                let device = try #require(logs.first { $0.first?.hasPrefix("welcome SN") == true })
                let user = try #require(logs.first { $0.first?.hasPrefix("welcome oid") == true })
                #expect(device == ["welcome \(CallRouterFixture.sn)", "call_result 0", "event answer",
                                   "sdp answer v=0\r\ns=answer\r\n", "ack"])
                #expect(user == ["welcome \(CallRouterFixture.aliceOpenID)", "ring Front door", "sdp offer v=0\r\ns=offer\r\n",
                                 "event hang_up"])
            }
        }
        let calls = try await f.store.calls(appID: nil, sn: CallRouterFixture.sn, userID: nil, limit: 5)
        #expect(calls.map(\.outcome) == [.completed])
        #expect(calls.first?.answeredAt != nil)
        #expect(f.metricsText.contains(#"ringlet_calls_total{outcome="completed"} 1"#))
        // The ring (after the call's read and its durable start) and the answer are timed once each.
        #expect(f.metricsText.contains(#"ringlet_ring_latency_seconds_count{direction="device_to_user"} 1"#))
        #expect(f.metricsText.contains(#"ringlet_call_setup_seconds_count{direction="device_to_user"} 1"#))
    }

    @Test("the hub reports a device online while its authenticated session is open, offline after it closes")
    func deviceOnline() async throws {
        let f = try await SignalingLiveFixture()
        let key = f.deviceKey
        let hub = f.hub
        let sns = [CallRouterFixture.sn, "SN_OTHER"]
        try await f.withServer { port in
            #expect(await hub.onlineDevices(among: sns).isEmpty)
            _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/signal/device",
                                                  logger: Logger(label: "device")) { inbound, outbound, _ in
                var reader = MessageReader(inbound)
                _ = try await authenticateDevice(&reader, outbound, key: key)
                #expect(await hub.onlineDevices(among: sns) == [CallRouterFixture.sn])
                try await outbound.close(.normalClosure, reason: nil)
            }
            var offline = false
            for _ in 0..<200 where !offline {
                offline = await hub.onlineDevices(among: sns).isEmpty
                if !offline { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(offline, "still online 2 s after the close")
        }
    }

    /// Connects, sends `messages` raw, and returns what the server sent back and the close code.
    static func exchange(_ f: SignalingLiveFixture, path: String, send messages: [String], readChallenge: Bool = false)
        async throws -> (messages: [ServerMessage], close: WebSocketErrorCode?) {
        let box = ResultBox()
        try await f.withServer { port in
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(path)",
                                                          logger: Logger(label: "client")) { inbound, outbound, _ in
                var reader = MessageReader(inbound)
                if readChallenge, let challenge = try await reader.next() { await box.append(challenge) }
                for message in messages { try await outbound.writeTextMessage(message) }
                while let message = try await reader.next() { await box.append(message) }
            }
            await box.setClose(close?.closeCode)
        }
        return (await box.messages, await box.close)
    }

    actor LogBox {
        var lines: [String] = []
        func append(_ line: String) { lines.append(line) }
    }

    actor ResultBox {
        var messages: [ServerMessage] = []
        var close: WebSocketErrorCode?
        func append(_ message: ServerMessage) { messages.append(message) }
        func setClose(_ code: WebSocketErrorCode?) { close = code }
    }

    @Test("a message before authentication gets an unauthenticated error and a close")
    func unauthenticated() async throws {
        let f = try await SignalingLiveFixture()
        let result = try await Self.exchange(f, path: "/v1/signal/user", send: [#"{"v":1,"type":"ping"}"#])
        #expect(result.messages.compactMap(\.errorCode) == [.unauthenticated])
        #expect(result.close == .policyViolation)
    }

    @Test("a wrong token gets authentication_failed and a close")
    func wrongToken() async throws {
        let f = try await SignalingLiveFixture()
        let result = try await Self.exchange(f, path: "/v1/signal/user", send: [ClientMessage.authUser(AuthUser(token: "rlu_nope")).text])
        #expect(result.messages.compactMap(\.errorCode) == [.authenticationFailed])
        #expect(result.close == .policyViolation)
    }

    @Test("a garbage device signature gets authentication_failed and a close")
    func garbageSignature() async throws {
        let f = try await SignalingLiveFixture()
        let result = try await Self.exchange(f, path: "/v1/signal/device",
                                             send: [ClientMessage.authDevice(AuthDevice(sn: CallRouterFixture.sn, signature: "AAAA")).text],
                                             readChallenge: true)
        #expect(result.messages.first?.type == "challenge")
        #expect(result.messages.compactMap(\.errorCode) == [.authenticationFailed])
    }

    @Test("a malformed message after authentication gets an error and a close")
    func malformedAfterAuth() async throws {
        let f = try await SignalingLiveFixture()
        let result = try await Self.exchange(f, path: "/v1/signal/user", send: [
            ClientMessage.authUser(AuthUser(token: SignalingLiveFixture.token)).text, #"{"v":1,"type":"teleport"}"#,
        ])
        #expect(result.messages.first?.type == "welcome")
        #expect(result.messages.compactMap(\.errorCode) == [.unknownType])
        #expect(result.close == .policyViolation)
    }

    @Test("an oversized message gets too_large and a 1009 close")
    func oversized() async throws {
        let f = try await SignalingLiveFixture()
        let big = #"{"v":1,"type":"auth_user","token":""# + String(repeating: "x", count: 70_000) + #""}"#
        let result = try await Self.exchange(f, path: "/v1/signal/user", send: [big])
        #expect(result.messages.compactMap(\.errorCode) == [.tooLarge])
        #expect(result.close == .messageTooLarge)
    }

    @Test("no authentication within the deadline gets authentication_timeout and a close")
    func authDeadline() async throws {
        let f = try await SignalingLiveFixture(authenticationDeadline: .milliseconds(300))
        let result = try await Self.exchange(f, path: "/v1/signal/user", send: [])
        #expect(result.messages.compactMap(\.errorCode) == [.authenticationTimeout])
        #expect(result.close == .policyViolation)
    }
}
