#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a development server (`ringlet serve --dev`) keeps in `<data-dir>/dev-credentials.json` (mode 0600) for
/// the tools run next to it: `ringlet admin` takes its token, address, demo app and model from it, and
/// `ringlet device` its server, app and model (docs/quickstart.md). Absent or unreadable: nil.
package struct DevServerCredentials: Decodable, Sendable {
    package var adminToken: String?
    package var demoAppID: String?
    package var demoModelID: String?
    package var server: String?

    /// The folder `--dev-data-dir` names, else `$RINGLET_DATA_DIR`, else `./ringlet-data` (serve's default).
    package static func folder(_ given: String?) -> String {
        given ?? ProcessInfo.processInfo.environment["RINGLET_DATA_DIR"] ?? "ringlet-data"
    }

    /// The credentials file of the development server whose data folder is `folder`, when there is one.
    package static func read(folder: String) -> DevServerCredentials? {
        let path = folder.hasSuffix("/") ? folder + "dev-credentials.json" : folder + "/dev-credentials.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(DevServerCredentials.self, from: data)
    }
}
