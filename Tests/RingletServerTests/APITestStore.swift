import Foundation
import RingletStore
import RingletTestSupport

/// A fresh `SQLiteStore` in a temporary folder for the API tests (one implementation of the store's rules, the
/// real one). The folders live under one folder per test process, removed when the process exits.
func APITestStore() -> SQLiteStore {
    let folder = APITestStoreFolders.root.appendingPathComponent(UUID().uuidString)
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try SQLiteStore(path: folder.appendingPathComponent("ringlet.sqlite").path)
    } catch {
        fatalError("cannot make a test store in \(folder.path): \(error)")
    }
}

private enum APITestStoreFolders {
    /// `<tmp>/ringlet-api-<pid>`, removed at exit.
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-api-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: APITestStoreFolders.rootPath) }
        return url
    }()
    static var rootPath: URL { FileManager.default.temporaryDirectory.appendingPathComponent("ringlet-api-\(getpid())") }
}
