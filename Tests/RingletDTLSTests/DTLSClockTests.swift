import Foundation
import RingletCore
import RingletTestSupport
import Testing

@testable import RingletDTLS

/// Retransmission on the caller's clock alone (docs/dtls.md, "Time"): every test here drives a fake clock that is
/// nowhere near the system clock and never waits for real time.
@Suite("DTLS retransmission on the caller's clock")
struct DTLSClockTests {
    /// Everything a lone client sends while nothing answers, with the instant it was sent.
    final class LoneClient {
        let transport: DTLSTransport
        var sent: [(time: Instant, datagrams: [[UInt8]])] = []
        var events: [DTLSEvent] = []

        init(_ configuration: DTLSTransport.Configuration) throws {
            transport = try DTLSTransport(
                role: .client, certificate: Certificates.client, remoteFingerprints: [Certificates.server.fingerprint],
                configuration: configuration
            )
        }

        func drain(at now: Instant) {
            var out: [[UInt8]] = []
            while let d = transport.pollDatagram() { out.append(d) }
            if !out.isEmpty { sent.append((now, out)) }
            while let e = transport.pollEvent() { events.append(e) }
        }

        /// Fires every deadline up to `limit`, first 1 ms before each (which must do nothing), then at it.
        func runTimers(until limit: Instant, maxTimeouts: Int = 50) {
            var fired = 0
            while fired < maxTimeouts, let deadline = transport.pollTimeout(), deadline <= limit {
                let before = sent.count
                transport.handleTimeout(now: deadline - .milliseconds(1))
                drain(at: deadline - .milliseconds(1))
                #expect(sent.count == before, "nothing is sent before the caller's deadline")
                transport.handleTimeout(now: deadline)
                drain(at: deadline)
                fired += 1
            }
        }
    }

    @Test("OpenSSL's DTLS timer reads the caller's clock in this program")
    func bound() {
        #expect(DTLSTransport.followsCallerClock)
    }

    @Test("outside the transport's calls, gettimeofday is the system clock")
    func systemClockOutside() throws {
        let client = try LoneClient(DTLSTransport.Configuration())
        client.transport.start(now: .zero)  // OpenSSL saw Instant.zero, which is year 2286 on its clock
        client.drain(at: .zero)
        var tv = timeval()
        gettimeofday(&tv, nil)
        let system = Date().timeIntervalSince1970
        #expect(abs(Double(tv.tv_sec) - system) < 5, "gettimeofday gave \(tv.tv_sec), the system says \(system)")
    }

    @Test("a lost flight is resent at 1, 2, 4 … 60 s on the caller's clock, and the 13th expiry fails the handshake")
    func doublingToTheCeilingThenGivingUp() throws {
        var c = DTLSTransport.Configuration()
        c.handshakeTimeout = .seconds(3600)
        let client = try LoneClient(c)
        let t0 = Instant(nanoseconds: 7_000_000_123)
        client.transport.start(now: t0)
        client.drain(at: t0)
        client.runTimers(until: t0 + .seconds(3600))

        let offsets = client.sent.map { ($0.time - t0) }
        let expected: [Duration] = [0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363, 423].map { .seconds($0) }
        #expect(offsets == expected)
        let hello = client.sent[0].datagrams
        #expect(client.sent.allSatisfy { $0.datagrams.count == hello.count }, "each time the whole ClientHello flight")
        #expect(client.transport.state == .failed)
        let failure = try #require(LinkedPair.failure(client.events))
        #expect(failure.code == .handshakeFailed, "OpenSSL gives up after 12 retransmissions: \(failure)")
        #expect(client.transport.pollTimeout() == nil)
    }

    @Test("with every flight lost the handshake fails at the handshake timeout, between two retransmissions")
    func handshakeTimeout() throws {
        let client = try LoneClient(DTLSTransport.Configuration())  // 1 s doubling, 30 s handshake timeout
        let t0 = Instant(nanoseconds: -86_400_000_000_000)  // a day before the clock's origin
        client.transport.start(now: t0)
        client.drain(at: t0)
        client.runTimers(until: t0 + .seconds(60))
        #expect(client.sent.map { $0.time - t0 } == [0, 1, 3, 7, 15].map { Duration.seconds($0) })
        #expect(LinkedPair.failure(client.events)?.code == .handshakeTimeout)
        #expect(client.events.count == 1)
    }

    @Test("a clock far before or after the system clock still resends at its deadlines", arguments: [
        Int64.min / 2, -1, 0, 1_735_689_600_000_000_000, Int64.max / 2,
    ])
    func farClock(start: Int64) throws {
        var c = DTLSTransport.Configuration()
        c.initialRetransmitInterval = .milliseconds(250)
        let pair = try LinkedPair(client: c, server: c)
        pair.now = Instant(nanoseconds: start)
        let t0 = pair.now
        pair.server.start(now: t0)
        pair.client.start(now: t0)
        let hello = pair.take(fromClient: true)  // lost
        #expect(pair.client.pollTimeout() == t0 + .milliseconds(250))
        pair.now = t0 + .milliseconds(250)
        pair.client.handleTimeout(now: pair.now)
        let again = pair.take(fromClient: true)
        #expect(again.count == hello.count)
        #expect(pair.client.pollTimeout() == t0 + .milliseconds(750), "then 500 ms")
        for d in again { pair.server.handleDatagram(d, now: pair.now) }
        pair.pump()
        #expect(pair.client.state == .connected && pair.server.state == .connected)
    }

    @Test("a flight that arrives in pieces before the deadline causes no retransmission")
    func piecesBeforeTheDeadline() throws {
        var c = DTLSTransport.Configuration()
        c.mtu = 300  // the server's flight spans several datagrams
        let pair = try LinkedPair(client: c, server: c)
        pair.server.start(now: pair.now)
        pair.client.start(now: pair.now)
        let hello = pair.take(fromClient: true)
        var clientSent = hello.count
        var serverSent = 0
        // One datagram reaches the other side every 50 ms, in the order they were sent; timers are 1 s.
        var inFlight: [(toServer: Bool, bytes: [UInt8])] = hello.map { (true, $0) }
        var rounds = 0
        while !inFlight.isEmpty, rounds < 100 {
            rounds += 1
            pair.now = pair.now + .milliseconds(50)
            let next = inFlight.removeFirst()
            if next.toServer {
                pair.server.handleDatagram(next.bytes, now: pair.now)
            } else {
                pair.client.handleDatagram(next.bytes, now: pair.now)
            }
            let fromServer = pair.take(fromClient: false)
            let fromClient = pair.take(fromClient: true)
            serverSent += fromServer.count
            clientSent += fromClient.count
            inFlight += fromServer.map { (false, $0) } + fromClient.map { (true, $0) }
        }
        #expect(pair.client.state == .connected && pair.server.state == .connected)
        let lossless = try LinkedPair(client: c, server: c)
        lossless.handshake()
        let expectedClient = lossless.sent.filter(\.fromClient).count
        #expect(clientSent == expectedClient, "the client sent each flight once")
        #expect(serverSent == lossless.sent.count - expectedClient, "the server sent each flight once")
        #expect(serverSent >= 3, "the server's flights came in several datagrams")
    }

    @Test("the ringlet and ringlet-device programs bind libssl's gettimeofday to their own", arguments: [
        "ringlet", "ringlet-device",
    ])
    func programsBindTheClock(program: String) throws {
        let folder = URL(fileURLWithPath: try ringletExecutable()).deletingLastPathComponent()
        let path = folder.appendingPathComponent(program).path
        // libssl is linked with BIND_NOW, so the dynamic linker resolves its gettimeofday at start-up.
        let output = try temporaryFolder(prefix: "ringlet-bindings")
        defer { try? FileManager.default.removeItem(at: output) }
        let child = try ChildProcess(
            path, arguments: ["--help"], folder: output, name: program,
            options: ChildProcess.Options(environment: ["LD_DEBUG": "bindings", "LD_BIND_NOW": "1"])
        )
        #expect(child.wait(timeout: 60), "\(program) --help did not finish")
        let log = try String(contentsOf: output.appendingPathComponent("\(program).stderr"), encoding: .utf8)
        let bindings = log.split(separator: "\n").filter {
            $0.contains("libssl.so") && $0.contains("`gettimeofday'")
        }
        #expect(!bindings.isEmpty, "libssl refers to gettimeofday")
        // "binding file /…/libssl.so.3 [0] to /…/ringlet [0]: normal symbol `gettimeofday' [GLIBC_2.2.5]"
        let targets = bindings.compactMap { line -> String? in
            guard let to = line.range(of: "] to "), let end = line.range(of: " [", range: to.upperBound..<line.endIndex)
            else { return nil }
            return URL(fileURLWithPath: String(line[to.upperBound..<end.lowerBound])).lastPathComponent
        }
        #expect(targets.count == bindings.count && targets.allSatisfy { $0 == program }, "\(bindings)")
    }
}
