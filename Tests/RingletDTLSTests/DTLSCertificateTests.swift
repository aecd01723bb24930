import Foundation
import RingletCore
import Testing

@testable import RingletDTLS

@Suite("DTLS certificate and SDP fingerprint")
struct DTLSCertificateTests {
    @Test("making a certificate takes milliseconds")
    func generationTime() throws {
        var rng = SeededRandom(seed: 9)
        let clock = ContinuousClock()
        let start = clock.now
        let count = 5
        for _ in 0..<count { _ = try DTLSCertificate(unixTime: Certificates.unixTime, using: &rng) }
        let each = (clock.now - start) / count
        print("DTLSCertificate generation: \(each) each (debug build)")
        #expect(each < .milliseconds(200))
    }

    @Test("the PEM text round-trips to the same key and certificate, within the 8 KB credentials budget")
    func pemRoundTrip() throws {
        let original = Certificates.client
        let pem = original.pem.value
        print("DTLSCertificate PEM size: \(pem.utf8.count) bytes")
        #expect(pem.utf8.count < 8 * 1024)
        #expect(pem.contains("-----BEGIN PRIVATE KEY-----") && pem.contains("-----BEGIN CERTIFICATE-----"))
        let back = try DTLSCertificate(pem: pem)
        #expect(back.fingerprint == original.fingerprint)
        #expect(back.pem.value == pem)
        #expect("\(original.pem)" == "<redacted>")
        // The imported one handshakes like the original.
        let pair = try LinkedPair()
        pair.handshake()
        let imported = try DTLSTransport(role: .client, certificate: back, remoteFingerprints: [Certificates.server.fingerprint])
        let server = try DTLSTransport(role: .server, certificate: Certificates.server, remoteFingerprints: [back.fingerprint])
        imported.start(now: .zero)
        for _ in 0..<10 {
            while let d = imported.pollDatagram() { server.handleDatagram(d, now: .zero) }
            while let d = server.pollDatagram() { imported.handleDatagram(d, now: .zero) }
        }
        #expect(imported.state == .connected && server.state == .connected)
    }

    @Test("PEM order does not matter")
    func pemOrder() throws {
        let c = Certificates.server
        let swapped = c.certificatePEM + c.privateKeyPEM
        #expect(try DTLSCertificate(pem: swapped).fingerprint == c.fingerprint)
    }

    @Test("bad PEM is refused with a typed error", arguments: [
        "",
        "not pem at all",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ])
    func badPEM(text: String) {
        do {
            _ = try DTLSCertificate(pem: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidPEM)
        }
    }

    @Test("a key with another certificate is refused")
    func mismatchedPEM() {
        let mixed = Certificates.client.privateKeyPEM + Certificates.server.certificatePEM
        do {
            _ = try DTLSCertificate(pem: mixed)
            Issue.record("accepted a key that does not sign the certificate")
        } catch {
            #expect(error.code == .invalidPEM)
        }
    }

    @Test("validity runs from 30 days before to 365 days after the given time")
    func validity() throws {
        #expect(Certificates.client.notAfter == Certificates.unixTime + 365 * 86_400)
    }

    @Test("the serial number comes from the caller's random source")
    func serialFromRNG() throws {
        var a = SeededRandom(seed: 77), b = SeededRandom(seed: 77)
        let one = try DTLSCertificate(unixTime: Certificates.unixTime, using: &a)
        let two = try DTLSCertificate(unixTime: Certificates.unixTime, using: &b)
        let serial1 = one.certificatePEM, serial2 = two.certificatePEM
        #expect(serial1 != serial2, "keys differ (OpenSSL's generator)")
        #expect(Self.serial(one) == Self.serial(two))
        #expect(Self.serial(one) != Self.serial(Certificates.client))
    }

    static func serial(_ c: DTLSCertificate) -> [UInt8] {
        // The DER serial follows "A0 03 02 01 02 02 LEN" (version [0] then INTEGER) in TBSCertificate.
        let body = c.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = [UInt8](Data(base64Encoded: body) ?? Data())
        guard let at = (0..<max(0, der.count - 6)).first(where: { Array(der[$0..<($0 + 6)]) == [0xA0, 3, 2, 1, 2, 2] })
        else { return [] }
        let length = Int(der[at + 6])
        return Array(der[(at + 7)..<(at + 7 + length)])
    }

    @Test("the fingerprint prints in SDP form: sha-256 and 32 upper-case hex pairs")
    func fingerprintFormat() throws {
        let text = Certificates.client.fingerprint.sdpValue
        let parts = text.split(separator: " ")
        #expect(parts.count == 2 && parts[0] == "sha-256")
        let pairs = parts[1].split(separator: ":")
        #expect(pairs.count == 32)
        #expect(pairs.allSatisfy { $0.count == 2 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
        #expect(try DTLSFingerprint(parsing: text) == Certificates.client.fingerprint)
    }

    @Test("fingerprints parse in either case and print canonically")
    func fingerprintParse() throws {
        let lower = "SHA-256 " + (0..<32).map { String(format: "%02x", $0 * 7 & 0xFF) }.joined(separator: ":")
        let f = try DTLSFingerprint(parsing: lower)
        #expect(f.hashFunction == "sha-256")
        #expect(f.digest == (0..<32).map { UInt8($0 * 7 & 0xFF) })
        #expect(f.sdpValue == lower.uppercased().replacingOccurrences(of: "SHA-256", with: "sha-256"))
        #expect(try DTLSFingerprint(parsing: f.sdpValue) == f)
    }

    @Test("malformed fingerprints are refused", arguments: [
        "sha-256",
        "sha-256 ",
        "sha-256 AB:CD",
        "sha-256 ABC:DE",
        "sha-256 AB::CD",
        "sha-256 AB:CD:",
        "sha-256 ZZ:" + String(repeating: "00:", count: 30) + "00",
        " AB:CD",
    ])
    func badFingerprint(text: String) {
        do {
            _ = try DTLSFingerprint(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidFingerprint)
        }
    }

    @Test("an unknown hash function round-trips but never matches a certificate")
    func unknownHashFunction() throws {
        let f = try DTLSFingerprint(parsing: "blake-9 01:02:03")
        #expect(f.sdpValue == "blake-9 01:02:03")
        let pair = try LinkedPair(clientExpects: [f])
        pair.handshake()
        #expect(LinkedPair.failure(pair.clientEvents)?.code == .fingerprintMismatch)
    }

    @Test("the SDP setup attribute maps to a role", arguments: [
        ("active", DTLSRole?.some(.client), DTLSRole?.some(.server)),
        ("passive", .server, .client),
        ("actpass", nil, nil),
        ("holdconn", nil, nil),
    ])
    func setupRoles(value: String, local: DTLSRole?, remote: DTLSRole?) {
        #expect(DTLSRole(localSetup: value) == local)
        #expect(DTLSRole(remoteSetup: value) == remote)
    }
}
