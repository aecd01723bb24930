import Foundation
import Glibc
import RingletDTLS
@testable import RingletDevice
import RingletSignaling
import RingletTestSupport
import Testing

func sampleCredentials(sn: String = "CAM_1", padding: Int = 0) throws -> DeviceCredentials {
    var rng = SystemRandomNumberGenerator()
    return DeviceCredentials(
        sn: sn, modelId: "cam-model", appId: "app_0123456789abcdef",
        server: "http://127.0.0.1:8080" + String(repeating: "/", count: padding),
        deviceKey: try DeviceKey.generate(),
        dtlsCertificate: try DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng),
        registeredAt: 1_700_000_000_000)
}

@Suite("The credentials file")
struct CredentialsFileTests {
    @Test("written and read back whole; owner-only; the key and certificate load; under 8 KB")
    func roundTrip() throws {
        let folder = try temporaryFolder(prefix: "ringlet-cred")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = CredentialsFile(folder: folder.appendingPathComponent("data").path)
        #expect(try file.read() == nil)
        let credentials = try sampleCredentials()
        try file.write(credentials)
        let back = try #require(try file.read())
        #expect(back == credentials)
        #expect(try back.key().publicKey.count == 65)
        #expect(try back.certificate().fingerprint == credentials.certificate().fingerprint)
        var st = stat()
        #expect(stat(file.path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(st.st_size > 0 && st.st_size <= 8192)
    }

    @Test("credentials over 8 KB are refused and the old file stays")
    func sizeLimit() throws {
        let folder = try temporaryFolder(prefix: "ringlet-cred")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = CredentialsFile(folder: folder.path)
        let small = try sampleCredentials()
        try file.write(small)
        let big = try sampleCredentials(padding: 8000)
        #expect(throws: DeviceError.self) { try file.write(big) }
        #expect(try file.read() == small)
    }

    @Test("a corrupt or truncated file is credentialsCorrupt, not a crash", arguments: [
        "", "{", "{\"version\":1}", "null", "[1,2,3]", String(repeating: "x", count: 9000),
    ])
    func corrupt(text: String) throws {
        let folder = try temporaryFolder(prefix: "ringlet-cred")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = CredentialsFile(folder: folder.path)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file.path))
        #expect {
            _ = try file.read()
        } throws: { ($0 as? DeviceError)?.code == .credentialsCorrupt }
    }

    @Test("a device whose credentials are for another SN, model or app is an identity mismatch")
    func identityMismatch() throws {
        let folder = try temporaryFolder(prefix: "ringlet-cred")
        defer { try? FileManager.default.removeItem(at: folder) }
        try CredentialsFile(folder: folder.path).write(try sampleCredentials(sn: "CAM_1"))
        var c = DeviceConfiguration(server: "http://127.0.0.1:1", sn: "CAM_2", dataPath: folder.path)
        #expect { _ = try RingletDevice(configuration: c) } throws: { ($0 as? DeviceError)?.code == .identityMismatch }
        c.sn = "CAM_1"
        c.modelId = "other-model"
        #expect { _ = try RingletDevice(configuration: c) } throws: { ($0 as? DeviceError)?.code == .identityMismatch }
        c.modelId = "cam-model"
        c.appId = "app_ffffffffffffffff"
        #expect { _ = try RingletDevice(configuration: c) } throws: { ($0 as? DeviceError)?.code == .identityMismatch }
        c.appId = "app_0123456789abcdef"
        let device = try RingletDevice(configuration: c)
        #expect(device.isRegistered)
        RingletDevice.resetCredentials(dataPath: folder.path)
        #expect(!(try RingletDevice(configuration: c).isRegistered))
    }

    @Test("a process killed while it rewrites the file, again and again, always leaves the old or the new file whole",
          .timeLimit(.minutes(2)))
    func killedWriter() async throws {
        let folder = try temporaryFolder(prefix: "ringlet-cred-kill")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        let file = CredentialsFile(folder: data.path)
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        var lastGeneration: Int64 = 0
        for round in 0..<40 {
            let writer = try ChildProcess(try ringletExecutable(),
                                          arguments: ["credentials-stress", "--data-dir", data.path], folder: folder,
                                          name: "writer-\(round)")
            // Let it write for a while (its start-up makes keys first), then kill it without warning.
            _ = await writer.waitForLine(containing: "1", timeout: 10)
            usleep(UInt32.random(in: 1_000...40_000, using: &rng))
            writer.send(SIGKILL)
            #expect(await writer.wait(timeout: 10))
            kills += 1
            let printed = writer.outputText.split(separator: "\n").compactMap { Int64($0) }
            let lastWritten = printed.last ?? 0
            let credentials = try #require(try file.read(), "round \(round): no file")
            // The file holds the last generation reported written, or the one being written when killed.
            #expect(credentials.generation == lastWritten || credentials.generation == lastWritten + 1,
                    "round \(round): file has \(credentials.generation), last written \(lastWritten)")
            #expect(credentials.server.hasPrefix("http://127.0.0.1:1/"))
            #expect((try? credentials.key()) != nil)
            #expect((try? credentials.certificate()) != nil)
            lastGeneration = credentials.generation
        }
        #expect(kills == 40)
        #expect(lastGeneration > 0)
        // Temporary files a killed writer left are removed by the next write.
        try file.write(try #require(try file.read()))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
