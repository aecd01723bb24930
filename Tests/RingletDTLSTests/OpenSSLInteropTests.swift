import Foundation
import Glibc
import RingletCore
import RingletTestSupport
import Testing

@testable import RingletDTLS

/// Handshakes with OpenSSL's own command-line tool over real loopback UDP sockets.
@Suite("DTLS-SRTP against openssl s_server and s_client", .serialized)
struct OpenSSLInteropTests {
    /// Drives `transport` over `socket` until it connects or fails (bounded); `peerPort` nil means "reply to
    /// whoever spoke first".
    static func run(_ transport: DTLSTransport, socket: LoopbackUDPSocket, peerPort: UInt16?, seconds: Double = 10) -> [DTLSEvent] {
        var events: [DTLSEvent] = []
        var peer = peerPort
        transport.start(now: monotonicNow())
        let end = monotonicNow() + .milliseconds(Int64(seconds * 1000))
        while monotonicNow() < end {
            if let peer { while let d = transport.pollDatagram() { try? socket.send(d, to: peer) } }
            while let e = transport.pollEvent() { events.append(e) }
            if events.contains(where: { if case .connected = $0 { true } else if case .failed = $0 { true } else { false } }) {
                break
            }
            let now = monotonicNow()
            let wake = min(transport.pollTimeout() ?? end, end)
            let wait = Int32(clamping: max(1, (wake - now).nanosecondsClamped / 1_000_000))
            if let (bytes, from) = socket.receiveFrom(timeoutMilliseconds: min(wait, 200)) {
                if peer == nil { peer = from }
                transport.handleDatagram(bytes, now: monotonicNow())
            } else if let t = transport.pollTimeout(), monotonicNow() >= t {
                transport.handleTimeout(now: monotonicNow())
            }
        }
        if let peer { while let d = transport.pollDatagram() { try? socket.send(d, to: peer) } }
        return events
    }

    static func writePEM(_ certificate: DTLSCertificate, in folder: URL) throws -> (cert: String, key: String) {
        let cert = folder.appendingPathComponent("cert.pem"), key = folder.appendingPathComponent("key.pem")
        try certificate.certificatePEM.write(to: cert, atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        return (cert.path, key.path)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    static func keyingMaterialLine(_ p: ChildProcess) -> String? {
        guard let line = p.waitForLine(containing: "Keying material:", timeout: 5) else { return nil }
        return line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test("our fingerprint equals what openssl x509 prints for the same certificate")
    func fingerprintMatchesOpenSSL() throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.writePEM(Certificates.server, in: folder)
        let out = try OpenSSLTool.run(["x509", "-noout", "-fingerprint", "-sha256", "-in", files.cert], folder: folder)
        let theirs = try #require(out.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect("sha-256 " + theirs == Certificates.server.fingerprint.sdpValue)
    }

    @Test("our client handshakes with openssl s_server and both export the same SRTP keying material")
    func clientAgainstSServer() throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.writePEM(Certificates.server, in: folder)
        let port = try LoopbackUDPSocket.freePort()
        let server = try OpenSSLTool.start([
            "s_server", "-dtls1_2", "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-cert", files.cert, "-key", files.key,
            "-accept", "127.0.0.1:\(port)", "-verify", "1",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
        ], folder: folder, name: "s_server")
        defer { server.stop() }
        let ready = Date().addingTimeInterval(5)
        while !LoopbackUDPSocket.isBound(port: port), Date() < ready, server.isRunning { usleep(20_000) }
        try #require(LoopbackUDPSocket.isBound(port: port), "s_server did not bind: \(server.errorText)")

        let socket = try LoopbackUDPSocket()
        let client = try DTLSTransport(
            role: .client, certificate: Certificates.client, remoteFingerprints: [Certificates.server.fingerprint]
        )
        let events = Self.run(client, socket: socket, peerPort: port)
        let keys = try #require(LinkedPair.keys(events), "events \(events); s_server: \(server.errorText)")
        #expect(keys.profile == 0x0001)
        #expect(keys.keyingMaterial.value.count == 60)
        let theirs = try #require(Self.keyingMaterialLine(server), "s_server output: \(server.outputText)")
        #expect(theirs == Self.hex(keys.keyingMaterial.value))
        #expect(server.outputText.contains("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"))
    }

    @Test("openssl s_client handshakes with our server (GCM profile) and both export the same keying material")
    func serverAgainstSClient() throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.writePEM(Certificates.client, in: folder)
        let socket = try LoopbackUDPSocket()
        let serverTransport = try DTLSTransport(
            role: .server, certificate: Certificates.server, remoteFingerprints: [Certificates.client.fingerprint]
        )
        let client = try OpenSSLTool.start([
            "s_client", "-dtls1_2", "-use_srtp", "SRTP_AEAD_AES_128_GCM", "-cert", files.cert, "-key", files.key,
            "-connect", "127.0.0.1:\(socket.port)",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56",
        ], folder: folder, name: "s_client")
        defer { client.stop() }
        let events = Self.run(serverTransport, socket: socket, peerPort: nil)
        let keys = try #require(LinkedPair.keys(events), "events \(events); s_client: \(client.errorText)")
        #expect(keys.profile == 0x0007)
        #expect(keys.keyingMaterial.value.count == 56)
        let theirs = try #require(Self.keyingMaterialLine(client), "s_client output: \(client.outputText)")
        #expect(theirs == Self.hex(keys.keyingMaterial.value))
    }

    @Test("openssl s_client with a certificate other than the signalled one is refused")
    func sClientWrongCertificate() throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.writePEM(Certificates.stranger, in: folder)
        let socket = try LoopbackUDPSocket()
        let serverTransport = try DTLSTransport(
            role: .server, certificate: Certificates.server, remoteFingerprints: [Certificates.client.fingerprint]
        )
        let client = try OpenSSLTool.start([
            "s_client", "-dtls1_2", "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-cert", files.cert, "-key", files.key,
            "-connect", "127.0.0.1:\(socket.port)",
        ], folder: folder, name: "s_client")
        defer { client.stop() }
        let events = Self.run(serverTransport, socket: socket, peerPort: nil)
        #expect(LinkedPair.failure(events)?.code == .fingerprintMismatch)
    }
}
