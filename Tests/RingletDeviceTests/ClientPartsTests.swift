import RingletCall
import RingletCore
@testable import RingletDevice
import RingletSignaling
import Testing

@Suite("Client parts: ICE server URLs, server URLs, backoff, frame checks, seed codes")
struct ClientPartsTests {
    @Test("STUN and TURN URLs parse into scheme, host, port and transport", arguments: [
        ("stun:127.0.0.1:3478", ICEServerURL.Scheme.stun, "127.0.0.1", UInt16(3478), TransportProtocol.udp),
        ("stun:stun.example", .stun, "stun.example", 3478, .udp),
        ("turn:turn.example:3479?transport=tcp", .turn, "turn.example", 3479, .tcp),
        ("TURN:[::1]:5000?transport=udp", .turn, "::1", 5000, .udp),
        ("turns:relay.example", .turns, "relay.example", 5349, .tcp),
        ("turns:relay.example:443?transport=tcp", .turns, "relay.example", 443, .tcp),
    ])
    func urls(text: String, scheme: ICEServerURL.Scheme, host: String, port: UInt16, transport: TransportProtocol) throws {
        let url = try ICEServerURL(parsing: text)
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.transport == transport)
    }

    @Test("bad ICE server URLs are refused as malformed", arguments: [
        "", "http://x", "stun:", "turn:host:0", "turn:host:70000", "turn:host?transport=sctp", "stun:host?transport=tcp",
        "turn:[::1", "turn:user@host", "stun:host:port",
    ])
    func badURLs(text: String) {
        #expect { _ = try ICEServerURL(parsing: text) } throws: { ($0 as? SignalingError)?.code == .malformed }
    }

    @Test("an ICE server list becomes STUN and TURN entries; turns: is TURN over TCP with TLS; stuns:, TURN over DTLS and credential-less TURN are left out")
    func serverSet() {
        let set = ICEServerSet([
            ICEServer(urls: ["stun:10.0.0.1:3478", "stuns:10.0.0.1:5349"]),
            ICEServer(urls: ["turn:relay.test:3478?transport=udp", "turn:relay.test:3478?transport=tcp",
                             "turns:relay.test:443?transport=tcp", "turns:10.0.0.3:5349", "turns:relay.test?transport=udp"],
                      username: "1700000000:dev", credential: "c2VjcmV0"),
            ICEServer(urls: ["turn:10.0.0.2:3478"]),
        ], resolve: { $0 == "relay.test" ? [IPAddress(192, 0, 2, 7)] : (IPAddress($0).map { [$0] } ?? []) })
        #expect(set.stunServers == [TransportAddress(IPAddress(10, 0, 0, 1), 3478)])
        #expect(set.turnServers.map(\.transport) == [.udp, .tcp, .tcp, .tcp])
        #expect(set.turnServers.map(\.address) == [
            TransportAddress(IPAddress(192, 0, 2, 7), 3478), TransportAddress(IPAddress(192, 0, 2, 7), 3478),
            TransportAddress(IPAddress(192, 0, 2, 7), 443), TransportAddress(IPAddress(10, 0, 0, 3), 5349),
        ])
        #expect(set.turnServers.first?.username == "1700000000:dev")
        #expect(set.tlsServers == [
            .init(address: TransportAddress(IPAddress(192, 0, 2, 7), 443), serverName: "relay.test"),
            .init(address: TransportAddress(IPAddress(10, 0, 0, 3), 5349), serverName: nil),
        ])
        #expect(set.skipped.count == 3, "\(set.skipped)")
    }

    @Test("server base URLs give the WebSocket URL and the Host header", arguments: [
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/v1/signal/device", "127.0.0.1:8080"),
        ("https://cloud.example", "wss://cloud.example:443/v1/signal/device", "cloud.example:443"),
        ("http://[::1]:9/ringlet/", "ws://[::1]:9/ringlet/v1/signal/device", "[::1]:9"),
    ])
    func baseURLs(text: String, webSocket: String, authority: String) throws {
        let base = try HTTPJSONClient.BaseURL(parsing: text)
        #expect(base.webSocketURL("/v1/signal/device") == webSocket)
        #expect(base.authority == authority)
    }

    @Test("bad server URLs are refused", arguments: ["", "ftp://x", "http://", "http://host:0", "http://host:x", "http://u@h",
                                                    "https://127.0.0.1:8443", "https://[::1]"])
    func badBaseURLs(text: String) {
        #expect { _ = try HTTPJSONClient.BaseURL(parsing: text) } throws: { ($0 as? CallClientError)?.code == .invalidURL }
    }

    @Test("reconnection waits grow from the initial delay to the maximum, with bounded jitter, and reset")
    func backoff() {
        var b = ReconnectBackoff(initial: .milliseconds(500), factor: 2, maximum: .seconds(8), jitter: 0.2)
        var rng = SeededRandom(seed: 7)
        let delays = (0..<8).map { _ in b.nextDelay(using: &rng) }
        let bases: [Double] = [0.5, 1, 2, 4, 8, 8, 8, 8]
        for (d, base) in zip(delays, bases) {
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            #expect(s >= base * 0.8 - 1e-9 && s <= base * 1.2 + 1e-9, "\(s) for \(base)")
        }
        b.reset()
        let first = b.nextDelay(using: &rng)
        #expect(first <= .milliseconds(600))
        var again = ReconnectBackoff(initial: .milliseconds(500), factor: 2, maximum: .seconds(8), jitter: 0.2)
        var rng2 = SeededRandom(seed: 7)
        #expect(again.nextDelay(using: &rng2) == delays[0])
        for _ in 0..<1000 { _ = again.nextDelay(using: &rng2) }
        #expect(again.nextDelay(using: &rng2) <= .milliseconds(9600))
    }

    @Test("only H.264 Annex B access units pass the video format check", arguments: [
        ([0, 0, 0, 1, 0x67, 0x42], true), ([0, 0, 1, 0x65, 0x88], true), ([0, 0, 0, 1, 0x41, 0x9A], true),
        ([0, 0, 0, 1, 0x40, 0x01], false),  // H.265 VPS header reads as type 0
        ([0, 0, 0, 1, 0x26, 0x01], true),  // an H.265 IDR reads as type 6 (SEI): ambiguous, allowed
        ([0x67, 0x42, 0, 0], false), ([0, 0, 0, 1], false), ([0, 0, 0, 1, 0x80], false), ([0, 0, 0, 1, 0x78], false),
        ([UInt8](), false),
    ])
    func annexBCheck(bytes: [UInt8], ok: Bool) {
        #expect(SendGate.looksLikeH264AnnexB(bytes) == ok)
    }

    @Test("native errors map to the seed's codes in each family", arguments: [
        (DeviceError.Code.noStream, SeedResultCodes.Family.media, -305), (.frameTooLarge, .media, -304),
        (.needKeyframe, .media, -306), (.formatMismatch, .media, -308), (.sendBufferFull, .media, -303),
        (.invalidFrame, .media, -308), (.busy, .voip1, -303), (.offline, .voip2, -1001), (.ticketInvalid, .voip1, -10008),
        (.snTooLong, .voip1, 9_800_001), (.snCharacters, .voip2, 9_800_002), (.modelInvalid, .voip1, 9_800_003),
        (.identityMismatch, .voip1, 19), (.identityMismatch, .voip2, -379), (.credentialsCorrupt, .voip1, 2),
        (.storageFailed, .voip2, -377), (.timeout, .voip1, 4), (.invalidArgument, .voip2, -363),
        (.unknownCall, .voip2, -1), (.noCall, .media, -312), (.notRegistered, .voip1, -310),
    ])
    func seedCodes(code: DeviceError.Code, family: SeedResultCodes.Family, expected: Int) {
        #expect(SeedResultCodes.code(for: DeviceError(code, "x"), in: family) == expected)
    }

    @Test("a server refusal returns the server's seed code as it is", arguments: [-7, -9, -12, -15, -17, -19, -20, -308, -1001])
    func refusals(seed: Int32) {
        let e = DeviceError(.refused, seedCode: SeedCode(rawValue: seed), "refused")
        #expect(SeedResultCodes.code(for: e, in: .voip1) == Int(seed))
        #expect(SeedResultCodes.code(for: e, in: .voip2) == Int(seed))
    }

    @Test("device configurations are validated once: SN, model, server, marks, sizes")
    func configuration() {
        func code(_ change: (inout DeviceConfiguration) -> Void) -> DeviceError.Code? {
            var c = DeviceConfiguration(server: "http://127.0.0.1:8080", sn: "CAM_1", dataPath: "/tmp/x")
            change(&c)
            do {
                try c.validate()
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code { _ in } == nil)
        #expect(code { $0.sn = String(repeating: "a", count: 129) } == .snTooLong)
        #expect(code { $0.sn = "bad sn" } == .snCharacters)
        #expect(code { $0.sn = "" } == .snCharacters)
        #expect(code { $0.modelId = "m!" } == .modelInvalid)
        #expect(code { $0.server = "ws://x" } == .invalidArgument)
        #expect(code { $0.watermarks = (10, 5, 20) } == .invalidArgument)
        #expect(code { $0.maximumFrameSize = 10 } == .invalidArgument)
        #expect(code { $0.audioCodecs = [.aac] } == .invalidArgument)
        #expect(code { $0.dataPath = "" } == .invalidArgument)
    }

    @Test("the send gate refuses every frame with sendBufferFull (-303) while the send queue is above the high mark, and takes frames again once it fell below the low mark")
    func gateAboveHighMark() {
        let gate = SendGate(highMark: 6_000, maximumFrameSize: 100_000)
        let context = StreamContext(callId: "c1", visitor: 1, channel: 0, resType: .audioOnly, kind: .audio)
        gate.publish {
            $0.stream = context
            $0.format = StreamFormat(audio: .g711u, video: nil)
            $0.streamEpoch += 1
        }
        let frame = [UInt8](repeating: 0xFF, count: 160)
        func admit() -> DeviceError.Code? {
            do {
                _ = try gate.admit(.audio, data: frame, ptsMilliseconds: 0, isKeyframe: false)
                _ = gate.take()
                return nil
            } catch {
                return error.code
            }
        }
        #expect(admit() == nil)
        gate.publish { $0.aboveHighMark = true }  // what the runtime publishes before P2P_WATERMARK_HIGH
        #expect(admit() == .sendBufferFull)
        #expect(admit() == .sendBufferFull)
        gate.publish { $0.aboveHighMark = false }  // ... and before P2P_WATERMARK_LOW
        #expect(admit() == nil)
    }
}
