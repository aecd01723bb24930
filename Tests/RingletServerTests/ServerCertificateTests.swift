import Foundation
@testable import RingletServer
import RingletTestSupport
import Testing

@Suite("Server certificates: loading, checks and warnings (test CA)")
struct ServerCertificateTests {
    @Test("a valid chain loads with its names; warnings say when it does not name the public host or ends within 14 days")
    func namesAndWarnings() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-cert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let authority = try await TestCA.make(in: folder)
        let leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test", "*.ringlet.test"], ipAddresses: ["127.0.0.1", "::1"])
        let certificate = try ServerCertificate.load(certificateFile: leaf.chainPath, keyFile: leaf.keyPath)
        #expect(certificate.chain.count == 2)
        #expect(Set(certificate.names) == ["ringlet.test", "*.ringlet.test", "127.0.0.1", "::1"])
        // Two days of validity: within 14 days, so it warns about that, but not about the names it covers.
        #expect(certificate.warnings(host: "ringlet.test").count == 1)
        #expect(certificate.warnings(host: "cam.ringlet.test").count == 1)
        let elsewhere = certificate.warnings(host: "ringlet.example.com", now: certificate.notValidAfter - 30 * 86_400)
        #expect(elsewhere.count == 1 && elsewhere[0].contains("does not name ringlet.example.com"), "\(elsewhere)")
    }

    @Test("a wildcard name covers one label only", arguments: [
        ("*.ringlet.test", "cam.ringlet.test", true), ("*.ringlet.test", "a.b.ringlet.test", false),
        ("*.ringlet.test", "ringlet.test", false), ("RINGLET.test", "ringlet.TEST", true), ("ringlet.test", "other.test", false),
    ])
    func wildcard(name: String, host: String, covered: Bool) {
        #expect(ServerCertificate.name(name, covers: host) == covered)
    }

    @Test("a reload keeps the current certificate when the new files do not load")
    func reloadKeepsCurrent() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-cert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let authority = try await TestCA.make(in: folder)
        let leaf = try await authority.issue(file: "server", dnsNames: ["ringlet.test"], ipAddresses: ["127.0.0.1"])
        let store = try TLSContextStore(certificateFile: leaf.chainPath, keyFile: leaf.keyPath)
        let before = store.certificate.notValidAfter
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: leaf.keyPath))
        guard case .failure(let error) = store.reload() else { Issue.record("a broken key was taken"); return }
        #expect(error.message.contains("is not a PEM private key"))
        #expect(store.certificate.notValidAfter == before)
        #expect(store.context(.https) != nil && store.context(.turn) != nil && store.context(.httpsAndTURN) != nil)
    }
}
