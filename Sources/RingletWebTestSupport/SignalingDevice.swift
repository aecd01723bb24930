import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import RingletCore
import RingletSignaling
import Synchronization

/// A device's signaling session and nothing else (no media): it registers its key with an SN ticket,
/// authenticates by signing the server's challenge, and then sends what a test tells it (`notice`, `call`,
/// `cancel`, `hang_up`) and keeps every server message. Enough for the web app's notices, online state and
/// ringing; calls with media use `ringlet device`.
package final class SignalingDevice: Sendable {
    package let sn: String
    private let key: DeviceKey
    private let outgoing: AsyncStream<String>.Continuation
    private let received = Mutex<[ServerMessage]>([])
    private let ended = Mutex<String?>(nil)
    private let requestCounter = Mutex(0)

    private init(sn: String, key: DeviceKey, outgoing: AsyncStream<String>.Continuation) {
        self.sn = sn
        self.key = key
        self.outgoing = outgoing
    }

    /// Registers a fresh key for `sn` with `ticket` (`POST /v1/devices/{sn}/register`) and opens its signaling
    /// session on `group` (which must live in the server's namespace); returns after `welcome`.
    package static func connect(server: DevServer, sn: String, ticket: String, group: any EventLoopGroup)
        async throws -> SignalingDevice
    {
        let key = try DeviceKey.generate()
        let registered = try server.request("POST", "/v1/devices/\(sn)/register", .none,
                                            json: ["ticket": ticket, "publicKey": Base64URL.encode(key.publicKey)])
        guard registered.status == 200 else {
            throw DevToolsError("registering \(sn) failed: \(registered.status) \(registered.json)")
        }
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let device = SignalingDevice(sn: sn, key: key, outgoing: continuation)
        let url = server.base.replacingOccurrences(of: "http://", with: "ws://") + "/v1/signal/device"
        Task {
            do {
                _ = try await WebSocketClient.connect(url: url, eventLoopGroup: group,
                                                      logger: Logger(label: "ringlet.test.device")) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask {
                            for await text in stream { try await outbound.writeTextMessage(text) }
                            try? await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message, let parsed = try? ServerMessage(parsing: text) else { continue }
                            device.received.withLock { $0.append(parsed) }
                            if case .challenge(let challenge) = parsed, let nonce = Base64URL.decode(challenge.nonce) {
                                let signature = try device.key.signChallenge(nonce: nonce)
                                device.send(.authDevice(AuthDevice(sn: sn, signature: Base64URL.encode(signature))))
                            }
                        }
                        tasks.cancelAll()
                    }
                }
                device.ended.withLock { $0 = "closed" }
            } catch {
                device.ended.withLock { $0 = "failed: \(error)" }
            }
        }
        _ = try await device.waitFor("welcome") { if case .welcome = $0 { true } else { false } }
        return device
    }

    /// Sends a message.
    package func send(_ message: ClientMessage) {
        outgoing.yield(message.text)
    }

    /// Every message received so far.
    package var messages: [ServerMessage] { received.withLock { $0 } }

    /// Waits (bounded) for a received message that `match` accepts; returns the first such.
    @discardableResult
    package func waitFor(_ what: String, timeout: Duration = .seconds(15),
                         _ match: @escaping @Sendable (ServerMessage) -> Bool) async throws -> ServerMessage {
        let end = ContinuousClock.now + timeout
        while true {
            if let message = messages.first(where: match) { return message }
            if let reason = ended.withLock({ $0 }) { throw DevToolsError("device \(sn) waiting for \(what): session \(reason)") }
            guard ContinuousClock.now < end else {
                throw DevToolsError("device \(sn): no \(what) within \(timeout); got \(messages.map(\.type))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for `call_event` `event` of `callId`.
    package func waitForEvent(_ event: CallEvent, callId: String, timeout: Duration = .seconds(15)) async throws {
        try await waitFor("call_event \(event.rawValue)", timeout: timeout) {
            if case .callEvent(let m) = $0 { m.callId == callId && m.event == event } else { false }
        }
    }

    private func nextRequestID() -> String {
        "d\(requestCounter.withLock { $0 += 1; return $0 })"
    }

    /// Calls the user `openId` (video, release channel, callee camera on); returns the `call_result`.
    package func call(openId: String, kind: CallKind = .video) async throws -> CallResult {
        let requestId = nextRequestID()
        send(.call(CallRequest(requestId: requestId, openId: openId, kind: kind, channel: .release, callerCamera: true,
                               calleeCamera: true)))
        let reply = try await waitFor("call_result") { if case .callResult(let r) = $0 { r.requestId == requestId } else { false } }
        guard case .callResult(let result) = reply else { throw DevToolsError("no call_result") }
        return result
    }

    /// Sends a notice (the seed's `sendMsgNotice`) and waits for its ack.
    package func notice(_ text: String, kind: Int = 1) async throws {
        let requestId = nextRequestID()
        send(.notice(NoticeRequest(requestId: requestId, kind: kind, text: text)))
        try await waitFor("notice ack") { if case .ack(let a) = $0 { a.requestId == requestId } else { false } }
    }

    /// Closes the session.
    package func close() {
        outgoing.finish()
    }
}
