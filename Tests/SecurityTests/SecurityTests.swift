import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Attacks on a real `ringlet serve` in a private network namespace, each beside a call with media (a `ringlet
/// device` and the headless phone), each with bounded loops: the attack must be answered as docs/security.md
/// says, the server's memory and descriptors (read from /proc/<pid>) must stay bounded, and the call beside must
/// keep its media. Every test prints a `SECURITY-REPORT {…}` line with the limit that held and what was measured.
///
/// One suite, serialized: each test starts its own server and call, and two at once would starve two cores.
@Suite("Security: attacks on a real ringlet serve", .serialized, .timeLimit(.minutes(5)))
struct SecurityTests {
    /// The defaults the attacks run into (docs/security.md, ServerLimits).
    static let httpMaxConnections = 1024
    static let httpMaxConnectionsPerIP = 64
    static let headTimeoutSeconds = 10.0
    static let turnTCPIdleSeconds = 5.0

    // MARK: HTTP connections

    @Test("slowloris on HTTP: 2 000 connections dribbling a request head are capped and closed at the head deadline; memory and descriptors stay bounded; the call beside keeps its media")
    func slowlorisHTTP() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()
            let (connections, failed) = await RawConnection.openMany(2000, port: SecurityLab.httpPort, sources: 40,
                                                                     group: lab.group)
            // Each sends the start of a request, then one more byte of a header every 3 s: never a whole head.
            for connection in connections { connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n") }
            let dribble = Task {
                for _ in 0..<8 {
                    try? await Task.sleep(for: .seconds(3))
                    for connection in connections where !connection.isClosed { connection.send("X") }
                }
            }
            let allClosed = await poll(seconds: Self.headTimeoutSeconds + 25) { connections.allSatisfy(\.isClosed) }
            dribble.cancel()
            let during = await call.expectMediaKeepsFlowing(since: before, "slowloris on HTTP")
            let resources = sampler.stop()
            let lifetimes = connections.map { lifetime($0) }
            let admitted = connections.filter { lifetime($0) > 1.5 }
            #expect(allClosed, "\(connections.filter { !$0.isClosed }.count) slowloris connections still open")
            #expect(admitted.count <= Self.httpMaxConnections)
            #expect(admitted.allSatisfy { lifetime($0) <= Self.headTimeoutSeconds + 6 })
            #expect(connections.allSatisfy { $0.receivedCount == 0 }, "a dribbled head got an answer")
            expectBounded(resources, descriptors: Self.httpMaxConnections, "slowloris on HTTP")
            let afterwards = try await lab.server.request("GET", "/healthz", .none)
            #expect(afterwards.status == 200)
            SecurityReport.record("slowloris on HTTP", limit: "httpHeadTimeoutSeconds 10, httpMaxConnections 1024", [
                "connections": connections.count + failed, "admitted": admitted.count,
                "refusedAtAccept": connections.count - admitted.count + failed,
                "longestOpenSeconds": lifetimes.max() ?? 0, "rssGrowthMB": growthMB(resources),
                "peakDescriptors": resources.peak.descriptors, "baselineDescriptors": resources.baseline.descriptors,
                "callBeside": "\(during)",
            ])
        }
    }

    @Test("3 000 half-open HTTP connections (connected, silent) from 60 addresses, and 200 from one: per-address and total caps hold, the rest close at the head deadline")
    func halfOpenHTTP() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()
            // One address first: its cap (64) holds while the total has room; then many addresses fill the total.
            var single: [RawConnection] = []
            for _ in 0..<200 {
                if let c = try? await RawConnection.open(port: SecurityLab.httpPort, from: "127.0.1.1", group: lab.group) {
                    single.append(c)
                }
            }
            let (many, failedMany) = await RawConnection.openMany(3000, port: SecurityLab.httpPort, sources: 60,
                                                                  group: lab.group)
            let all = many + single
            let allClosed = await poll(seconds: Self.headTimeoutSeconds + 25) { all.allSatisfy(\.isClosed) }
            let during = await call.expectMediaKeepsFlowing(since: before, "half-open connections")
            let resources = sampler.stop()
            let admittedMany = many.filter { lifetime($0) > 1.5 }.count
            let admittedSingle = single.filter { lifetime($0) > 1.5 }.count
            #expect(allClosed)
            #expect(admittedMany + admittedSingle <= Self.httpMaxConnections)
            #expect(admittedSingle <= Self.httpMaxConnectionsPerIP && admittedSingle >= Self.httpMaxConnectionsPerIP - 2,
                    "\(admittedSingle) of 200 connections from one address admitted")
            #expect(all.allSatisfy { lifetime($0) <= Self.headTimeoutSeconds + 20 })
            expectBounded(resources, descriptors: Self.httpMaxConnections, "half-open connections")
            SecurityReport.record("half-open HTTP connections", limit: "httpMaxConnections 1024, httpMaxConnectionsPerIP 64, httpHeadTimeoutSeconds 10", [
                "connections": all.count + failedMany, "admitted": admittedMany + admittedSingle,
                "admittedFromOneAddress": admittedSingle, "fromOneAddress": single.count,
                "longestOpenSeconds": all.map { lifetime($0) }.max() ?? 0,
                "rssGrowthMB": growthMB(resources), "peakDescriptors": resources.peak.descriptors,
                "baselineDescriptors": resources.baseline.descriptors, "callBeside": "\(during)",
            ])
        }
    }

    // MARK: TURN over TCP

    @Test("slowloris on TURN/TCP: 1 500 connections dribbling a STUN header are capped and closed when they have no allocation after 5 s")
    func slowlorisTURN() async throws {
        try await SecurityLab.with { lab in
            let call = try await lab.callBeside()
            let sampler = ResourceSampler(pid: lab.serverPID)
            sampler.start()
            let before = await call.frames()
            let (connections, failed) = await RawConnection.openMany(1500, port: SecurityLab.turnPort, sources: 30,
                                                                     group: lab.group)
            // A STUN Allocate header, one byte at a time: the frame never completes.
            let header: [UInt8] = [0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42]
            let dribble = Task {
                for byte in header {
                    for connection in connections where !connection.isClosed { connection.send([byte]) }
                    try? await Task.sleep(for: .seconds(2))
                }
            }
            let allClosed = await poll(seconds: Self.turnTCPIdleSeconds + 25) { connections.allSatisfy(\.isClosed) }
            dribble.cancel()
            let during = await call.expectMediaKeepsFlowing(since: before, "slowloris on TURN/TCP")
            let resources = sampler.stop()
            let admitted = connections.filter { lifetime($0) > 1.5 }
            #expect(allClosed)
            #expect(admitted.count <= 1024)
            #expect(admitted.allSatisfy { lifetime($0) <= Self.turnTCPIdleSeconds + 8 })
            expectBounded(resources, descriptors: 1024, "slowloris on TURN/TCP")
            // Every connection was refused at accept or closed for having no allocation (metrics lag up to 1 s).
            let refused = try await lab.server.metric("ringlet_turn_tcp_refused_total", above: Double(connections.count) - 1,
                                                      timeout: .seconds(10))
            #expect(refused >= Double(connections.count))
            SecurityReport.record("slowloris on TURN/TCP", limit: "turnTCPIdleSeconds 5, turnTCPMaxConnections 1024", [
                "connections": connections.count + failed, "admitted": admitted.count,
                "longestOpenSeconds": admitted.map { lifetime($0) }.max() ?? 0,
                "rssGrowthMB": growthMB(resources), "peakDescriptors": resources.peak.descriptors,
                "baselineDescriptors": resources.baseline.descriptors, "refusedOrClosedMetric": refused,
                "callBeside": "\(during)",
            ])
        }
    }
}

/// Seconds from the connection's opening until it closed (or until now when it is still open).
func lifetime(_ connection: RawConnection) -> Double {
    let end = connection.closedAt ?? .now
    let duration = end - connection.opened
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The server's resident memory growth during the attack, MB.
func growthMB(_ r: (baseline: ProcessResources, peak: ProcessResources, now: ProcessResources)) -> Int {
    (r.peak.rssKB - r.baseline.rssKB) / 1024
}

/// Memory grew by less than 128 MB, descriptors by at most the cap the attack ran into (plus a margin for the
/// call's and the test's own requests), and were back near the baseline afterwards.
func expectBounded(_ r: (baseline: ProcessResources, peak: ProcessResources, now: ProcessResources), descriptors cap: Int,
                   _ attack: String) {
    #expect(growthMB(r) < 128, "\(attack): RSS grew from \(r.baseline) to \(r.peak)")
    // The margin covers the call's and the test's own requests and the services' lazily opened descriptors (the
    // push service's HTTP client, TURN's relay sockets for the call): 64, not the attack's thousands.
    #expect(r.peak.descriptors <= r.baseline.descriptors + cap + 64, "\(attack): descriptors \(r.baseline) → \(r.peak)")
    #expect(r.now.descriptors <= r.baseline.descriptors + 64, "\(attack): descriptors not given back: \(r.now)")
}
