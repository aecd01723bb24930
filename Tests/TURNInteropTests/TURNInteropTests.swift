import Foundation
import RingletCore
import RingletNIO
import RingletTestSupport
import RingletTURN
import Testing

/// Ringlet's STUN/TURN server (the NIO shell around `TURNServer`) against tools nobody here wrote: coturn's
/// `turnutils_stunclient`, `turnutils_uclient` and `turnutils_peer`, and Debian's classic `stun` client.
@Suite("TURN server interop with coturn's tools", .serialized)
struct TURNInteropTests {
    @Test("turnutils_stunclient learns its own loopback address and port")
    func stunclientMappedAddress() async throws {
        let live = try await LiveTURNServer.start()
        let run = try await runTool("turnutils_stunclient", package: "coturn",
                                    ["-p", "\(live.port)", "127.0.0.1"], timeout: 10)
        let counters = await live.server.counters()
        await live.stop()
        #expect(run.exited, "turnutils_stunclient did not finish: \(run.output)")
        let mapped = try #require(transportAddress(after: "UDP reflexive addr:", in: run.output), "\(run.output)")
        #expect(mapped.ip == .loopbackV4)
        #expect(mapped.port >= 1024 && mapped.port != live.port)
        #expect(counters.bindingResponses >= 1)
    }

    @Test("Debian's classic RFC 3489 stun client gets MAPPED-ADDRESS")
    func classicStunMappedAddress() async throws {
        let live = try await LiveTURNServer.start()
        let run = try await runTool("stun", package: "stun-client", ["127.0.0.1:\(live.port)", "1", "-v"],
                                    timeout: 15)
        let counters = await live.server.counters()
        await live.stop()
        #expect(run.exited, "stun did not finish: \(run.output)")
        let mapped = try #require(transportAddress(after: "MappedAddress =", in: run.output), "\(run.output)")
        #expect(mapped.ip == .loopbackV4)
        #expect(mapped.port >= 1024 && mapped.port != live.port)
        let source = transportAddress(after: "SourceAddress =", in: run.output)
        #expect(source == live.server.udpAddress)
        #expect(counters.bindingResponses >= 1)
    }

    @Test("turnutils_uclient relays through Ringlet with zero loss, with indications and with channels",
          arguments: [("udp", "indications"), ("tcp", "indications"), ("udp", "channels"), ("tcp", "channels")])
    func uclientRelaysWithoutLoss(transport: String, relaying: String) async throws {
        let live = try await LiveTURNServer.start()
        let peer = try EchoPeer()
        let clients = 4, messages = 100
        // -c: no RTCP session; without it uclient asks for EVEN-PORT with R=1 (a port-pair reservation), which
        // this server answers with 508 by design. -s: Send/Data indications; without it uclient binds channels,
        // numbered in RFC 5766's 0x4000–0x7FFF (the server accepts them: acceptsRFC5766ChannelNumbers).
        // -u: REST usernames are "<expiry>:<id>"; without it uclient sends a bare timestamp.
        var arguments = ["-c", "-u", "interop", "-W", LiveTURNServer.secret, "-e", "127.0.0.1", "-r", "\(peer.port)",
                         "-n", "\(messages)", "-m", "\(clients)", "-l", "200", "-z", "2", "-p", "\(live.port)"]
        if relaying == "indications" { arguments.insert("-s", at: 0) }
        if transport == "tcp" { arguments.insert("-t", at: 0) }
        let run = try await runTool("turnutils_uclient", package: "coturn", arguments + ["127.0.0.1"], timeout: 60)
        let counters = await live.server.counters()
        await live.stop()
        withExtendedLifetime(peer) {}
        #expect(run.exited, "turnutils_uclient did not finish: \(run.output.suffix(2000))")
        let summary = try #require(UClientSummary(run.output), "no summary: \(run.output.suffix(2000))")
        #expect(summary.sent == clients * messages)
        #expect(summary.received == summary.sent)
        #expect(summary.lost == 0)
        #expect(counters.allocationsCreated >= UInt64(clients))
        #expect(counters.clientToPeerPackets >= UInt64(summary.sent))
        #expect(counters.peerToClientPackets >= UInt64(summary.received))
        #expect(counters.refusals[400] == nil, "a ChannelBind was refused: \(counters.refusals)")
    }

    @Test("a wrong shared secret gets 401 and relays nothing")
    func wrongSecretIsRefused() async throws {
        let live = try await LiveTURNServer.start()
        let peer = try EchoPeer()
        let run = try await runTool(
            "turnutils_uclient", package: "coturn",
            ["-c", "-s", "-u", "interop", "-W", "not-the-secret", "-e", "127.0.0.1", "-r", "\(peer.port)", "-n", "10", "-m", "1", "-p",
             "\(live.port)", "127.0.0.1"], timeout: 30)
        let counters = await live.server.counters()
        await live.stop()
        withExtendedLifetime(peer) {}
        #expect(run.exited, "turnutils_uclient did not give up: \(run.output.suffix(2000))")
        #expect((counters.refusals[401] ?? 0) >= 1)
        #expect(counters.allocationsCreated == 0)
        #expect(counters.clientToPeerPackets == 0)
        #expect(counters.peerToClientPackets == 0)
        if let summary = UClientSummary(run.output) { #expect(summary.received == 0) }
    }
}
