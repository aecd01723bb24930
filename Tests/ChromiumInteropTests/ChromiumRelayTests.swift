import Foundation
import RingletTURN
import Testing
@testable import RingletNIO

/// TURN REST credentials for coturn's `--use-auth-secret`, as an iceServers JSON array for the page's query.
func iceServersQuery(port: Int, secret: String, transport: String) throws -> String {
    let expiry = UInt64(Date().timeIntervalSince1970) + 3600
    let credential = try TURNRESTCredential(id: "chromium", expiry: expiry, secret: Array(secret.utf8))
    let servers: [[String: String]] = [[
        "urls": "turn:127.0.0.1:\(port)?transport=\(transport)",
        "username": credential.username, "credential": credential.password,
    ]]
    let json = String(decoding: try JSONSerialization.data(withJSONObject: servers), as: UTF8.self)
    return json.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? json
}

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
