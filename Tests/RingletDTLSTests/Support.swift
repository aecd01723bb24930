import Foundation
import RingletCore
import Testing

@testable import RingletDTLS

/// Certificates made once for the whole test process (as a device makes its one certificate).
enum Certificates {
    /// A fixed wall-clock time for certificates in tests: 2025-01-01T00:00:00Z.
    static let unixTime: Int64 = 1_735_689_600

    static let client: DTLSCertificate = make(seed: 1)
    static let server: DTLSCertificate = make(seed: 2)
    static let stranger: DTLSCertificate = make(seed: 3)

    static func make(seed: UInt64) -> DTLSCertificate {
        var rng = SeededRandom(seed: seed)
        do {
            return try DTLSCertificate(unixTime: unixTime, using: &rng)
        } catch {
            fatalError("test certificate: \(error)")  // test support only
        }
    }
}

/// A client and a server transport joined by a deterministic in-test queue, on a fake clock.
final class LinkedPair {
    let client: DTLSTransport
    let server: DTLSTransport
    var now = Instant.milliseconds(1_000)
    var clientEvents: [DTLSEvent] = []
    var serverEvents: [DTLSEvent] = []
    /// Every datagram either side sent, in order, with its sender.
    var sent: [(fromClient: Bool, bytes: [UInt8])] = []

    init(
        client: DTLSTransport.Configuration = .init(),
        server: DTLSTransport.Configuration = .init(),
        clientExpects: [DTLSFingerprint]? = nil,
        serverExpects: [DTLSFingerprint]? = nil
    ) throws {
        self.client = try DTLSTransport(
            role: .client, certificate: Certificates.client,
            remoteFingerprints: clientExpects ?? [Certificates.server.fingerprint], configuration: client
        )
        self.server = try DTLSTransport(
            role: .server, certificate: Certificates.server,
            remoteFingerprints: serverExpects ?? [Certificates.client.fingerprint], configuration: server
        )
    }

    /// Takes every pending datagram of one side (recording them) and the events of both.
    func take(fromClient: Bool) -> [[UInt8]] {
        let t = fromClient ? client : server
        var out: [[UInt8]] = []
        while let d = t.pollDatagram() { out.append(d) }
        for d in out { sent.append((fromClient, d)) }
        collectEvents()
        return out
    }

    func collectEvents() {
        while let e = client.pollEvent() { clientEvents.append(e) }
        while let e = server.pollEvent() { serverEvents.append(e) }
    }

    /// Delivers datagrams both ways until neither side has anything to send; `deliver` may drop or rewrite.
    func pump(rounds: Int = 50, deliver: (_ fromClient: Bool, _ datagrams: [[UInt8]]) -> [[UInt8]] = { $1 }) {
        for _ in 0..<rounds {
            let a = deliver(true, take(fromClient: true))
            for d in a { server.handleDatagram(d, now: now) }
            let b = deliver(false, take(fromClient: false))
            for d in b { client.handleDatagram(d, now: now) }
            collectEvents()
            if a.isEmpty && b.isEmpty { return }
        }
    }

    /// Pumps, and when both sides go quiet before connecting, moves the fake clock to the earliest deadline and
    /// fires it (nothing waits for real time: OpenSSL's timer reads this clock too).
    func pumpWithTimers(
        maxTimeouts: Int = 8,
        deliver: (_ fromClient: Bool, _ datagrams: [[UInt8]]) -> [[UInt8]] = { $1 }
    ) -> Int {
        var fired = 0
        pump(deliver: deliver)
        while fired < maxTimeouts, client.state != .connected || server.state != .connected {
            let deadlines = [client.pollTimeout(), server.pollTimeout()].compactMap { $0 }
            guard let next = deadlines.min() else { break }
            now = max(now, next)
            client.handleTimeout(now: now)
            server.handleTimeout(now: now)
            fired += 1
            pump(deliver: deliver)
        }
        return fired
    }

    /// Starts both and pumps until quiet.
    func handshake() {
        server.start(now: now)
        client.start(now: now)
        pump()
    }

    static func keys(_ events: [DTLSEvent]) -> DTLSSRTPKeyingMaterial? {
        for e in events { if case .connected(let k) = e { return k } }
        return nil
    }

    static func failure(_ events: [DTLSEvent]) -> DTLSError? {
        for e in events { if case .failed(let f) = e { return f } }
        return nil
    }
}
