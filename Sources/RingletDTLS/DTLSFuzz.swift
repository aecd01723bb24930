// Fuzz entry points for RingletDTLS. SPI only: the libFuzzer shims in Fuzz/ call these; nothing reachable from
// the network does. See docs/fuzzing.md.
import RingletCore

/// libFuzzer entry points for the DTLS transport.
@_spi(Fuzzing)
public enum DTLSFuzz {
    /// One certificate for every run (making one per input would dominate the run time).
    private static let certificate: DTLSCertificate? = {
        var rng = SeededRandom(seed: 0xF022)
        return try? DTLSCertificate(unixTime: 1_735_689_600, using: &rng)
    }()

    /// Feeds `data` to a fresh server transport as a sequence of datagrams: each is a 2-byte big-endian length
    /// followed by that many bytes (a short tail is the last datagram), with the clock advancing 100 ms per
    /// datagram and timeouts handled as they fall due.
    ///
    /// Invariants checked (a trap means a bug): every datagram the server sends fits the MTU; the transport
    /// never reports `connected` (no input can present a certificate matching the empty-key fingerprint below);
    /// after `failed` or `closed` it sends nothing more and has no deadline.
    public static func serverHandshake(_ data: [UInt8]) {
        guard let certificate else { return }
        let never = try? DTLSFingerprint(hashFunction: "sha-256", digest: [UInt8](repeating: 0, count: 32))
        guard let transport = try? DTLSTransport(
            role: .server, certificate: certificate, remoteFingerprints: never.map { [$0] } ?? []
        ) else { return }
        var reader = ByteReader(data)
        var now = Instant.milliseconds(1)
        var datagrams = 0
        while !reader.isAtEnd, datagrams < 64 {
            datagrams &+= 1
            let length = Int((try? reader.readUInt16()) ?? 0)
            let datagram = (try? reader.readBytes(min(length, reader.remaining))) ?? []
            let ended = transport.state == .failed || transport.state == .closed
            transport.handleDatagram(datagram, now: now)
            now = now + .milliseconds(100)
            if let deadline = transport.pollTimeout(), deadline <= now { transport.handleTimeout(now: now) }
            var sentAfterEnd = false
            while let out = transport.pollDatagram() {
                check(out.count <= transport.configuration.mtu, "datagram of \(out.count) bytes exceeds the MTU")
                if ended { sentAfterEnd = true }
            }
            check(!sentAfterEnd, "sent a datagram after failing or closing")
            while let event = transport.pollEvent() {
                if case .connected = event { check(false, "connected with a certificate matching no fingerprint") }
            }
            if transport.state == .failed || transport.state == .closed {
                check(transport.pollTimeout() == nil, "a deadline after the end")
            }
        }
    }

    private static func check(_ ok: Bool, _ what: @autoclosure () -> String) {
        if !ok { fatalError("DTLSFuzz invariant broken: \(what())") }
    }
}
