import Foundation
import RingletCore
import RingletSignaling
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// A user signaling session opened over a raw WebSocket: authenticated with `token`, its welcome read.
func authenticatedUserSocket(_ lab: SecurityLab, token: String, from source: String = "127.0.0.1",
                             receiveBuffer: Int? = nil) async throws -> RawWebSocket {
    let socket = try await RawWebSocket.open(path: "/v1/signal/user", port: SecurityLab.httpPort, from: source,
                                             group: lab.group, receiveBuffer: receiveBuffer)
    socket.sendText(#"{"v":1,"type":"auth_user","token":"\#(token)"}"#)
    guard await poll(seconds: 10, { socket.frames().texts.contains { $0.contains(#""type":"welcome""#) } }) else {
        throw RawSocketError("no welcome: \(socket.frames().texts) \(socket.errorCodes)")
    }
    return socket
}

/// A device registered with its own key (made here) through the API, and its signaling session over a raw
/// WebSocket after signing the server's challenge.
struct RawDevice {
    let sn: String
    let key: DeviceKey
    let socket: RawWebSocket

    static func register(_ lab: SecurityLab, sn: String) async throws -> (DeviceKey, String) {
        let key = try DeviceKey.generate()
        let ticket = try await lab.server.issueTicket(sn: sn)
        let answer = try await lab.server.request("POST", "/v1/devices/\(sn)/register", .none,
                                                  json: ["ticket": ticket, "publicKey": Base64URL.encode(key.publicKey)])
        guard answer.status == 200 else { throw RawSocketError("register: \(answer.status) \(answer.json)") }
        return (key, ticket)
    }

    static func connect(_ lab: SecurityLab, sn: String, key: DeviceKey) async throws -> RawDevice {
        let socket = try await RawWebSocket.open(path: "/v1/signal/device", port: SecurityLab.httpPort, group: lab.group)
        var nonce: [UInt8]?
        _ = await poll(seconds: 10) {
            for text in socket.frames().texts {
                if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                   object["type"] as? String == "challenge", let value = object["nonce"] as? String {
                    nonce = Base64URL.decode(value)
                }
            }
            return nonce != nil
        }
        guard let nonce else { throw RawSocketError("no challenge") }
        let signature = try key.signChallenge(nonce: nonce)
        socket.sendText(#"{"v":1,"type":"auth_device","sn":"\#(sn)","signature":"\#(Base64URL.encode(signature))"}"#)
        guard await poll(seconds: 10, { socket.frames().texts.contains { $0.contains(#""type":"welcome""#) } }) else {
            throw RawSocketError("device \(sn) got no welcome: \(socket.errorCodes)")
        }
        return RawDevice(sn: sn, key: key, socket: socket)
    }
}

extension SecurityTests {
    @Test("a reader that never reads: 150 pings with 60 KB request ids on a session that does not read its pongs close it as a slow consumer; the server's memory stays bounded")
    func readerThatNeverReads() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let user = try await lab.user("never-reads")
            let socket = try await authenticatedUserSocket(lab, token: user.token, receiveBuffer: 4096)
            try await socket.connection.setReading(false)
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()
            let started = ContinuousClock.now
            let requestId = String(repeating: "r", count: 60_000)
            for _ in 0..<150 { socket.sendText(#"{"v":1,"type":"ping","requestId":"\#(requestId)"}"#) }
            let closedByServer = await poll(seconds: 30) {
                (try? await lab.server.metric("ringlet_signaling_closed_total")) ?? 0 >= 1
            }
            let closedAfter = ContinuousClock.now - started
            let during = await call.expectMediaKeepsFlowing(since: before, "a reader that never reads")
            let resources = sampler.stop()
            // Reading again, the client finds the connection closed.
            try await socket.connection.setReading(true)
            let closed = await socket.waitClosed(seconds: 15)
            #expect(closedByServer)
            #expect(closed)
            #expect(growthMB(resources) < 64, "RSS \(resources.baseline) → \(resources.peak)")
            let slow = try await lab.server.request("GET", "/metrics", .admin)
            let text = String(decoding: slow.body, as: UTF8.self)
            #expect(text.contains(#"ringlet_signaling_closed_total{reason="slow_consumer"} 1"#), "\(text.split(separator: "\n").filter { $0.contains("signaling") })")
            SecurityReport.record("a reader that never reads", limit: "signalingQueueBytes 1 MiB / signalingQueueMessages 256, then closed (slow_consumer)", [
                "pingsSent": 150, "requestIdBytes": 60_000, "closedAfterSeconds": Double(closedAfter.components.seconds),
                "pongBytesReceivedBeforeClose": socket.connection.receivedCount,
                "rssGrowthMB": growthMB(resources), "callBeside": "\(during)",
            ])
        }
    }

    @Test("oversized messages and floods: a 70 KB message gets too_large and 1009, a 200 KB frame is closed by the WebSocket layer, 3 000 pings get rate_limited then a close, 50 notices get 20 acks")
    func oversizedAndFloods() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()
            let user = try await lab.user("flooder")

            let big = try await authenticatedUserSocket(lab, token: user.token)
            big.sendText(#"{"v":1,"type":"ping","requestId":"\#(String(repeating: "x", count: 70_000))"}"#)
            #expect(await big.waitClosed(seconds: 10))
            #expect(big.errorCodes.contains("too_large"))
            #expect(big.frames().close?.code == 1009)

            let huge = try await authenticatedUserSocket(lab, token: user.token)
            huge.sendFrame([UInt8](repeating: 0x20, count: 200 << 10))
            #expect(await huge.waitClosed(seconds: 10))

            let flood = try await authenticatedUserSocket(lab, token: user.token)
            let floodStart = ContinuousClock.now
            for i in 0..<3000 { flood.sendText(#"{"v":1,"type":"ping","requestId":"p\#(i)"}"#) }
            #expect(await flood.waitClosed(seconds: 20))
            let floodClosed = ContinuousClock.now - floodStart
            let pongs = flood.frames().texts.filter { $0.contains(#""type":"pong""#) }.count
            #expect(flood.errorCodes.contains("rate_limited"))
            #expect(flood.frames().close?.code == 1008)
            #expect(pongs <= 200 + 20 * 10, "\(pongs) pongs: more than the burst and the rate allow")

            let (key, _) = try await RawDevice.register(lab, sn: "SEC_NOTICES")
            try await lab.server.request("POST", "/v1/me/authorizations", .user(user.token),
                                         json: ["sn": "SEC_NOTICES", "ticket": try await lab.server.issueTicket(sn: "SEC_NOTICES")])
                .expectStatus(200)
            let device = try await RawDevice.connect(lab, sn: "SEC_NOTICES", key: key)
            for i in 0..<50 { device.socket.sendText(#"{"v":1,"type":"notice","requestId":"n\#(i)","kind":1,"text":"ring"}"#) }
            device.socket.sendText(#"{"v":1,"type":"notice","requestId":"long","kind":1,"text":"\#(String(repeating: "t", count: 2000))"}"#)
            _ = await poll(seconds: 10) { device.socket.frames().texts.count >= 52 }
            let acks = device.socket.frames().texts.filter { $0.contains(#""type":"ack""#) }.count
            let limited = device.socket.errorCodes.filter { $0 == "rate_limited" }.count
            #expect(acks >= 20 && acks <= 22, "\(acks) notices accepted")
            #expect(limited >= 28)
            #expect(device.socket.frames().texts.contains { $0.contains(#""requestId":"long""#) && $0.contains("refused") })
            let stored = try await lab.server.request("GET", "/v1/me/notices?limit=500", .user(user.token))
            #expect((stored.json["items"] as? [Any])?.count == acks)

            let during = await call.expectMediaKeepsFlowing(since: before, "oversized messages and floods")
            let resources = sampler.stop()
            #expect(growthMB(resources) < 64)
            SecurityReport.record("oversized messages and floods", limit: "64 KiB message (too_large, 1009); 128 KiB frame; 20 msg/s burst 200, closed after 200 over; notices 10/min burst 20, 1 KiB text", [
                "floodPings": 3000, "pongsBeforeLimit": pongs, "floodClosedAfterSeconds": Double(floodClosed.components.seconds),
                "noticesSent": 50, "noticesAccepted": acks, "noticesRateLimited": limited,
                "rssGrowthMB": growthMB(resources), "callBeside": "\(during)",
            ])
        }
    }

    @Test("frames before authentication: a 5 KB auth message, a ping, a binary frame are refused and closed; 500 sessions that never authenticate close at the 10 s deadline")
    func preAuthentication() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()

            let large = try await RawWebSocket.open(path: "/v1/signal/user", port: SecurityLab.httpPort, group: lab.group)
            large.sendText(#"{"v":1,"type":"auth_user","token":"rlu_\#(String(repeating: "a", count: 5000))"}"#)
            #expect(await large.waitClosed(seconds: 10))
            #expect(large.errorCodes == ["too_large"])
            #expect(large.frames().close?.code == 1009)

            let early = try await RawWebSocket.open(path: "/v1/signal/user", port: SecurityLab.httpPort, group: lab.group)
            early.sendText(#"{"v":1,"type":"ping","requestId":"p"}"#)
            #expect(await early.waitClosed(seconds: 10))
            #expect(early.errorCodes == ["unauthenticated"])
            #expect(early.frames().close?.code == 1008)

            let binary = try await RawWebSocket.open(path: "/v1/signal/device", port: SecurityLab.httpPort, group: lab.group)
            binary.sendFrame([1, 2, 3], opcode: 2)
            #expect(await binary.waitClosed(seconds: 10))
            #expect(binary.errorCodes == ["malformed"])

            var silent: [RawWebSocket] = []
            for i in 0..<500 {
                if let socket = try? await RawWebSocket.open(path: "/v1/signal/user", port: SecurityLab.httpPort,
                                                             from: "127.0.2.\(1 + i % 50)", group: lab.group) {
                    silent.append(socket)
                }
            }
            let opened = ContinuousClock.now
            let allClosed = await poll(seconds: 30) { silent.allSatisfy { $0.connection.isClosed } }
            let longest = silent.map { lifetime($0.connection) }.max() ?? 0
            #expect(silent.count >= 450, "only \(silent.count) upgrades")
            #expect(allClosed)
            #expect(silent.allSatisfy { $0.errorCodes == ["authentication_timeout"] })
            #expect(longest <= 10 + 15)
            let during = await call.expectMediaKeepsFlowing(since: before, "frames before authentication")
            let resources = sampler.stop()
            expectBounded(resources, descriptors: 500, "frames before authentication")
            _ = opened
            SecurityReport.record("frames before authentication", limit: "signalingPreAuthMessageBytes 4096; auth deadline 10 s", [
                "silentSessions": silent.count, "longestSilentSeconds": longest,
                "rssGrowthMB": growthMB(resources), "peakDescriptors": resources.peak.descriptors,
                "baselineDescriptors": resources.baseline.descriptors, "callBeside": "\(during)",
            ])
        }
    }
}

extension DevServer.Answer {
    /// Fails the test unless the status is `status`.
    @discardableResult
    func expectStatus(_ status: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        #expect(self.status == status, "\(self.status) \(json)", sourceLocation: sourceLocation)
        return self
    }
}
