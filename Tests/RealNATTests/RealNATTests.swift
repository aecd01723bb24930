import Foundation
import RingletCore
@testable import RingletEngine
import RingletEngineTestSupport
import NIOSSL
import RingletNIO
import RingletTURN
import RingletTestSupport
import Testing

/// Whether both sides are connected and media flowed both ways: at least 20 whole video frames and 50 audio
/// frames each.
func mediaFlowed(_ a: NATPeer.Snapshot, _ b: NATPeer.Snapshot) -> Bool {
    a.state == .connected && b.state == .connected && a.videoWhole >= 20 && b.videoWhole >= 20
        && a.audioReceived >= 50 && b.audioReceived >= 50
}

/// Milliseconds from the offer to a side's `connected`, or -1.
func connectedAfter(_ s: NATPeer.Snapshot, offer: Instant) -> Int64 {
    guard let c = s.marks["pc.connected"] else { return -1 }
    return (c.nanoseconds - offer.nanoseconds) / 1_000_000
}

/// Asserts that media flowed, whole, and prints the timings.
func expectMedia(_ name: String, _ a: NATPeer.Snapshot, _ b: NATPeer.Snapshot, offer: Instant, ok: Bool,
                 lab: NATLab) {
    #expect(ok, """
        \(name): no media both ways. A: \(a.state) video \(a.videoWhole) audio \(a.audioReceived) \
        path \(String(describing: a.selectedPath)) errors \(a.sendErrors); B: \(b.state) video \(b.videoWhole) \
        audio \(b.audioReceived) path \(String(describing: b.selectedPath)) errors \(b.sendErrors)
        A pairs: \(a.pairs.joined(separator: "\n  "))
        B pairs: \(b.pairs.joined(separator: "\n  "))
        turn: \(lab.turnLog(lastBytes: 1500))
        """)
    #expect(a.videoCorrupt == 0 && b.videoCorrupt == 0, "frames that did not match the clip byte for byte")
    print("[RealNAT] \(name): offer → connected A \(connectedAfter(a, offer: offer)) ms, "
          + "B \(connectedAfter(b, offer: offer)) ms; video A←\(a.videoWhole) B←\(b.videoWhole), "
          + "audio A←\(a.audioReceived) B←\(b.audioReceived); path A \(String(describing: a.selectedPath)) "
          + "B \(String(describing: b.selectedPath))")
}

/// TURN REST credentials (coturn `--use-auth-secret`) for the engines.
func turnAccess(_ server: TransportAddress, secret: String, transport: TransportProtocol = .udp) throws -> TURNAccess {
    let expiry = UInt64(Date().timeIntervalSince1970) + 3600
    let credential = try TURNRESTCredential(id: "ringlet-nat", expiry: expiry, secret: Array(secret.utf8))
    return TURNAccess(address: server, username: credential.username, password: credential.password,
                      transport: transport)
}

/// The Swift engine behind real Linux NATs (nftables masquerade in network namespaces), against a second engine.
@Suite("Real NAT", .serialized, .timeLimit(.minutes(2)))
struct RealNATTests {
    @Test("behind a port-preserving masquerade NAT the engine connects directly to a public peer, media both ways")
    func directThroughMasquerade() async throws {
        try await NATLab.withLab { lab in
            let siteA = try lab.addSite("a", index: 1, outside: "203.0.113", randomPorts: false)
            let clip = syntheticClip()
            let a = try await NATEngine.start(in: siteA.host, address: siteA.hostAddress, clip: clip)
            let b: NATEngine
            do { b = try await NATEngine.start(in: lab.pub, address: siteA.gateway, clip: clip) } catch {
                await a.stop()
                throw error
            }
            let result: (offer: Instant, ok: Bool)
            do { result = try await call(a, b, timeout: .seconds(30), done: mediaFlowed) } catch {
                await a.stop(); await b.stop()
                throw error
            }
            let (sa, sb) = (try await a.snapshot(), try await b.snapshot())
            await a.stop(); await b.stop()
            expectMedia("direct", sa, sb, offer: result.offer, ok: result.ok, lab: lab)
            #expect(sa.selectedPath?.relayed == false)
            #expect(sb.selectedPath?.relayed == false)
            // B sees A only through the NAT: its remote is the NAT's public address, never A's private one.
            #expect(sb.selectedPath?.remoteAddress.ip == siteA.publicAddress)
            #expect(sa.selectedPath?.remoteAddress == b.local)
        }
    }

    @Test("both behind port-randomizing NATs, policy all: direct checks fail and media flows relayed via coturn")
    func relayedBetweenRandomizingNATs() async throws {
        try await relayedCall(relayOnly: false)
    }

    @Test("both behind port-randomizing NATs, policy relay: relay candidates only, media flows via coturn")
    func relayOnlyBetweenRandomizingNATs() async throws {
        try await relayedCall(relayOnly: true)
    }

    @Test("both behind port-randomizing NATs, relay only, TURN over TCP: media flows relayed", arguments: [
        TURNKind.coturn, .ringlet,
    ])
    func relayOnlyOverTCP(server: TURNKind) async throws {
        try await relayedCall(relayOnly: true, transport: .tcp, server: server)
    }

    @Test("both behind port-randomizing NATs, relay only, TURN over UDP through Ringlet's own server")
    func relayOnlyRinglet() async throws {
        try await relayedCall(relayOnly: true, server: .ringlet)
    }

    @Test("relay-only B, policy-all A, each with TURN over UDP and TCP to Ringlet's server: media flows relayed")
    func mixedTransports() async throws {
        try await relayedCall(relayOnly: true, server: .ringlet, alsoTCP: true, relayOnlyA: false)
    }

    @Test("both behind port-randomizing NATs, relay only, TURN over TLS to coturn (a test CA): media flows relayed; an untrusted certificate relays nothing")
    func relayOnlyOverTLS() async throws {
        try await NATLab.withLab { lab in
            let siteA = try lab.addSite("a", index: 1, outside: "203.0.113", randomPorts: true)
            let siteB = try lab.addSite("b", index: 2, outside: "198.51.100", randomPorts: true)
            let ca = try await TestCA.make(in: lab.work.appendingPathComponent("ca"))
            let issued = try await ca.issue(file: "turn", ipAddresses: ["\(siteA.gateway)"])
            let secret = "ringlet-nat-secret"
            let plain = try await lab.startTurnserver(on: siteA.gateway, secret: secret, tls: issued)
            let turn = try turnAccess(TransportAddress(plain.ip, 5349), secret: secret, transport: .tcp)
            var trust = TLSConfiguration.makeClientConfiguration()
            trust.trustRoots = .file(ca.certificatePath)
            let clip = syntheticClip()
            let a = try await NATEngine.start(in: siteA.host, address: siteA.hostAddress, clip: clip, turn: turn,
                                              relayOnly: true, tls: trust)
            let b: NATEngine
            do {
                b = try await NATEngine.start(in: siteB.host, address: siteB.hostAddress, clip: clip, turn: turn,
                                              relayOnly: true, tls: trust)
            } catch {
                await a.stop()
                throw error
            }
            let result: (offer: Instant, ok: Bool)
            do { result = try await call(a, b, timeout: .seconds(30), done: mediaFlowed) } catch {
                await a.stop(); await b.stop()
                throw error
            }
            let (sa, sb) = (try await a.snapshot(), try await b.snapshot())
            await a.stop(); await b.stop()
            expectMedia("relay-only over TLS", sa, sb, offer: result.offer, ok: result.ok, lab: lab)
            #expect(sa.selectedPath?.relayed == true && sb.selectedPath?.relayed == true)

            // The system's trust roots do not know the test CA: the handshake fails, no relay, no media.
            let untrusted = try await NATEngine.start(in: siteA.host, address: siteA.hostAddress, clip: clip,
                                                      turn: turn, relayOnly: true, tls: .makeClientConfiguration())
            let other = try await NATEngine.start(in: siteB.host, address: siteB.hostAddress, clip: clip, turn: turn,
                                                  relayOnly: true, tls: trust)
            let refused = try await call(untrusted, other, timeout: .seconds(5), done: mediaFlowed)
            let stats = try await untrusted.driver.statistics().get()
            let relays = try await untrusted.on { m, _ in m.pc.turn.compactMap(\.relayed) }
            await untrusted.stop(); await other.stop()
            #expect(!refused.ok)
            #expect(relays.isEmpty, "no allocation over a connection whose certificate is not trusted")
            #expect(stats.socketErrors > 0, "the failed handshake is counted")
        }
    }

    enum TURNKind: String, CustomStringConvertible { case coturn, ringlet; var description: String { rawValue } }

    func relayedCall(relayOnly: Bool, transport: TransportProtocol = .udp, server kind: TURNKind = .coturn,
                     alsoTCP: Bool = false, relayOnlyA: Bool? = nil) async throws {
        // Policy all needs the bogon sink: coturn deletes an allocation whose relay send has no route
        // (docs/real-nat.md). RINGLET_NAT_BOGON_SINK=0 reproduces that.
        try await NATLab.withLab(bogonSink: !relayOnly) { lab in
            let siteA = try lab.addSite("a", index: 1, outside: "203.0.113", randomPorts: true)
            let siteB = try lab.addSite("b", index: 2, outside: "198.51.100", randomPorts: true)
            let secret = "ringlet-nat-secret"
            let server = kind == .coturn ? try await lab.startTurnserver(on: siteA.gateway, secret: secret)
                : try await lab.startRingletTURN(on: siteA.gateway, secret: secret)
            let turn = try turnAccess(server, secret: secret, transport: transport)
            let clip = syntheticClip()
            let a = try await NATEngine.start(in: siteA.host, address: siteA.hostAddress, clip: clip, turn: turn,
                                              alsoTCP: alsoTCP, relayOnly: relayOnlyA ?? relayOnly)
            let b: NATEngine
            do {
                b = try await NATEngine.start(in: siteB.host, address: siteB.hostAddress, clip: clip, turn: turn,
                                              alsoTCP: alsoTCP, relayOnly: relayOnly)
            } catch {
                await a.stop()
                throw error
            }
            let result: (offer: Instant, ok: Bool)
            let direct: (a: [String], b: [String])
            do {
                result = try await call(a, b, timeout: .seconds(40), done: mediaFlowed)
                let ip = server.ip
                direct = (try await a.on { m, _ in m.directPairsThatWorked(turnIP: ip) },
                          try await b.on { m, _ in m.directPairsThatWorked(turnIP: ip) })
            } catch {
                await a.stop(); await b.stop()
                throw error
            }
            let (sa, sb) = (try await a.snapshot(), try await b.snapshot())
            let (statsA, statsB) = (try await a.driver.statistics().get(), try await b.driver.statistics().get())
            await a.stop(); await b.stop()
            print("[RealNAT] driver A \(statsA)\n[RealNAT] driver B \(statsB)")
            // Checks toward the peer's private candidates draw ICMP unreachables in `pub`: the sockets must survive.
            #expect(statsA.udpRebinds == 0 && statsB.udpRebinds == 0, "a UDP socket was closed under the engine")
            let name = relayOnly ? "relay-only" : "relayed (policy all)"
            expectMedia(name, sa, sb, offer: result.offer, ok: result.ok, lab: lab)
            #expect(sa.selectedPath?.relayed == true)
            #expect(sb.selectedPath?.relayed == true)
            #expect(direct.a.isEmpty && direct.b.isEmpty, "a direct pair worked through fully-random NATs: \(direct)")
            if relayOnly {
                #expect(sa.selectedPath?.localType == .relayed && sb.selectedPath?.localType == .relayed)
            } else {
                // The checks really were tried: each side had direct pairs in its checklist, and they failed.
                #expect(sa.pairs.contains { $0.hasPrefix("host->") }, "A never tried a direct pair: \(sa.pairs)")
            }
        }
    }
}
