import Foundation
import RingletLab
import RingletStore
import RingletTestSupport

/// The store the server tests run on: SQLite by default, PostgreSQL with `RINGLET_TEST_STORE=postgresql` (then
/// every test gets a fresh database on a throwaway Debian PostgreSQL this process starts, docs/store.md "Tests").
enum TestStoreKind: String {
    case sqlite, postgresql

    static var current: TestStoreKind {
        ProcessInfo.processInfo.environment["RINGLET_TEST_STORE"].flatMap(TestStoreKind.init(rawValue:)) ?? .sqlite
    }
}

/// A fresh, empty, migrated store of ``TestStoreKind/current``: an SQLite file in `folder` (a new folder under one
/// per test process when nil), or a new PostgreSQL database.
func APITestStore(folder: URL? = nil) async throws -> any Store {
    switch TestStoreKind.current {
    case .sqlite:
        return try SQLiteTestStore(folder: folder)
    case .postgresql:
        return try await PostgresServer.shared().store(prefix: "server").store
    }
}

/// A fresh `SQLiteStore` (for the tests of what only SQLite has: its file). The folders live under one folder
/// per test process, removed when the process exits.
func SQLiteTestStore(folder: URL? = nil) throws -> SQLiteStore {
    let folder = folder ?? APITestStoreFolders.root.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return try SQLiteStore(path: folder.appendingPathComponent("ringlet.sqlite").path)
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
