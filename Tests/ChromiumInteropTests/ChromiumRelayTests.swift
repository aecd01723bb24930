import Foundation
import RingletBrowserHarness
import Testing

/// The page's own loopback call forced through coturn (iceTransportPolicy "relay") in the namespace: proves
/// turnserver, TURN REST credentials and relay-only Chromium before the Swift engine takes one side.
@Suite("Chromium harness through coturn", .serialized, .timeLimit(.minutes(2)))
struct ChromiumRelayTests {
    @Test("a relay-only loopback call through coturn decodes video", arguments: ["udp", "tcp"])
    func relayLoopback(transport: String) async throws {
        try await ChromiumHarness.withHarness { h in
            let secret = "ringlet-secret"
            try await h.launchTurnserver(port: 3478, secret: secret)
            let ice = try iceServersQuery(port: 3478, secret: secret, transport: transport)
            try h.launchChromium(query: "mode=loopback&tag=relay&policy=relay&ice=\(ice)")
            let report = await h.waitForReport("relay", timeout: .seconds(40)) { r in
                string(r, "connectionState") == "connected" && number(r, "inboundVideo", "framesDecoded") > 0
            }
            #expect(report != nil, """
                no relayed frames; last: \(String(describing: h.server.report("relay")))
                turn: \(h.log("turn.log", lastBytes: 1500))
                """)
            #expect(string(report, "selectedPair", "localType") == "relay")
            #expect(string(report, "selectedPair", "relayProtocol") == transport)
        }
    }
}
