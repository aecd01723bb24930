import ArgumentParser
import Foundation
import RingletDTLS
import RingletDevice
import RingletSignaling

/// `ringlet credentials-stress` (hidden): rewrites a device credentials file over and over, printing each
/// generation once it is written — the process the credentials test kills at random moments
/// (Tests/RingletDeviceTests, "a kill at any moment leaves the old or the new file whole").
struct CredentialsStressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials-stress", abstract: "Rewrite a credentials file in a loop (tests).",
        shouldDisplay: false)

    @Option(name: .customLong("data-dir"), help: "The data folder.") var dataDir: String
    @Option(help: "How many writes.") var iterations = 100_000

    func run() throws {
        var rng = SystemRandomNumberGenerator()
        var credentials = DeviceCredentials(
            sn: "STRESS_1", modelId: "stress-model", appId: "app_0000000000000000", server: "http://127.0.0.1:1",
            deviceKey: try DeviceKey.generate(),
            dtlsCertificate: try DTLSCertificate(unixTime: Int64(Date().timeIntervalSince1970), using: &rng),
            registeredAt: 0)
        let file = CredentialsFile(folder: dataDir)
        for generation in 1...max(1, iterations) {
            credentials.generation = Int64(generation)
            // Sizes change from write to write (up to ~4 KiB of padding), so a torn write could not pass for whole.
            credentials.server = "http://127.0.0.1:1/" + String(repeating: "p", count: (generation * 397) % 4096)
            try file.write(credentials)
            FileHandle.standardOutput.write(Data("\(generation)\n".utf8))
        }
    }
}
