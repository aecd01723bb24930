import Foundation
import GRDB
@testable import RingletStore
import RingletLab
import Testing

@Suite("Schema, isolation and what errors say")
struct SafetyTests {
    @Test("error messages never carry the ticket string or a secret hash", arguments: StoreKind.allCases)
    func redaction(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let secretHash = String(repeating: "5e", count: 32)
        var app = Sample.app()
        app.secretHash = secretHash
        try await fixture.store.insertApp(app)
        try await fixture.store.insertModel(Sample.model())
        let ticket = "rlt_c2VjcmV0LXRpY2tldC12YWx1ZQ"
        try await fixture.store.insertTicket(Sample.ticket(ticket))
        var messages: [String] = []
        for body in [
            { try await fixture.store.insertApp(app) },
            { try await fixture.store.insertTicket(Sample.ticket(ticket)) },
            { _ = try await fixture.store.registerDevice(ticketHash: ticket, sn: "OTHER", publicKey: [4], now: Sample.now) },
            { _ = try await fixture.store.registerDevice(ticketHash: ticket + "x", sn: "BELL_0001", publicKey: [4], now: Sample.now) },
            { try await fixture.store.insertSession(SessionRecord(tokenHash: secretHash, userID: "usr_none", appID: app.id,
                                                            channel: .release, expiresAt: 1, createdAt: 1)) },
        ] as [() async throws -> Void] {
            do {
                try await body()
                Issue.record("the call did not fail")
            } catch let error as StoreError {
                messages.append(error.description)
            }
        }
        #expect(messages.count == 5)
        for message in messages {
            #expect(!message.contains(ticket))
            #expect(!message.contains(secretHash))
        }
    }

    @Test("a refused registration for a device of another model changes nothing", arguments: StoreKind.allCases)
    func registrationRollsBack(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertModel(Sample.model("mdl_other"))
        var ticket = Sample.ticket()
        ticket.modelID = "mdl_other"
        try await fixture.store.insertTicket(ticket)
        #expect(await code {
            _ = try await fixture.store.registerDevice(ticketHash: ticket.ticketHash, sn: "BELL_0001", publicKey: [4], now: Sample.now)
        } == .ticketInvalid)
        #expect(try await fixture.store.ticket(hash: ticket.ticketHash)?.usedAt == nil)
        #expect(try await fixture.store.device(sn: "BELL_0001") == Sample.device())
    }

    @Test("two stores on one file or database (two processes' or nodes' worth) write beside each other and lose nothing",
          arguments: StoreKind.allCases)
    func twoStoresOneFile(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let (other, task) = try await fixture.second()
        defer { task?.cancel() }
        let stores = [fixture.store, other]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                let store = stores[task % 2]
                group.addTask {
                    for index in 0..<25 {
                        try await store.insertCall(Sample.call("call_\(task)_\(index)", startedAt: Int64(index)))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await other.calls(appID: nil, sn: nil, userID: nil, limit: 500).count == 100)
        #expect(try await fixture.store.calls(appID: nil, sn: nil, userID: nil, limit: 500).count == 100)
    }

    /// The queries as SQLiteStore sends them (same filters and orders).
    @Test("SQLite: the protocol's lookups use an index and need no sort", arguments: [
        ("SELECT * FROM models WHERE app_id = 'a' ORDER BY created_at, rowid", "models_by_app"),
        ("SELECT * FROM devices WHERE app_id = 'a' ORDER BY created_at, rowid", "devices_by_app"),
        ("SELECT * FROM users WHERE app_id = 'a' AND open_id = 'o'", "sqlite_autoindex_users"),
        ("SELECT * FROM users WHERE app_id = 'a' ORDER BY created_at, rowid", "users_by_app"),
        ("SELECT * FROM tickets WHERE ticket_hash = 't'", "sqlite_autoindex_tickets"),
        ("SELECT * FROM sessions WHERE token_hash = 't'", "sqlite_autoindex_sessions"),
        ("SELECT * FROM authorizations WHERE sn = 's' ORDER BY updated_at DESC, rowid DESC", "authorizations_by_sn"),
        ("SELECT * FROM authorizations WHERE user_id = 'u' ORDER BY updated_at DESC, rowid DESC",
         "authorizations_by_user"),
        ("SELECT * FROM calls ORDER BY started_at DESC, rowid DESC LIMIT 5", "calls_by_time"),
        ("SELECT * FROM calls WHERE app_id = 'a' ORDER BY started_at DESC, rowid DESC LIMIT 5", "calls_by_app"),
        ("SELECT * FROM calls WHERE sn = 's' ORDER BY started_at DESC, rowid DESC LIMIT 5", "calls_by_sn"),
        ("SELECT * FROM calls WHERE user_id = 'u' ORDER BY started_at DESC, rowid DESC LIMIT 5", "calls_by_user"),
        ("SELECT * FROM notices WHERE user_id = 'u' ORDER BY created_at DESC, rowid DESC LIMIT 5", "notices_by_user"),
        ("SELECT * FROM notices WHERE user_id = 'u' AND read_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 5",
         "notices_by_user"),
        ("SELECT * FROM push_subscriptions WHERE user_id = 'u' ORDER BY created_at, rowid", "push_subscriptions_by_user"),
        ("SELECT * FROM push_subscriptions WHERE endpoint = 'e'", "sqlite_autoindex_push_subscriptions"),
        ("SELECT id FROM push_subscriptions WHERE user_id = 'u' ORDER BY created_at DESC, rowid DESC LIMIT 5",
         "push_subscriptions_by_user"),
    ])
    func indexes(query: String, index: String) async throws {
        let fixture = try await Fixture(.sqlite)
        let plan = try await fixture.sqlite.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query).map { row -> String in
                let detail: String = row["detail"] ?? ""
                return detail
            }
        }
        #expect(plan.contains { $0.contains(index) }, "\(query): \(plan)")
        // A bare "SCAN table" reads every row; "SCAN t USING INDEX" walks an index in order, which is fine.
        #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.contains("USING") }, "\(query): \(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(query): \(plan)")
    }

    /// The queries as PostgresStore sends them; sequential and bitmap scans are turned off so that an empty table
    /// shows which index would serve the query, and whether it gives the rows in order (a bitmap scan never
    /// does, so on a tiny table the planner picks one and sorts).
    @Test("PostgreSQL: the protocol's lookups use an index and need no sort", arguments: [
        ("SELECT * FROM models WHERE app_id = 'a' ORDER BY created_at, seq", "models_by_app"),
        ("SELECT * FROM devices WHERE app_id = 'a' ORDER BY created_at, seq", "devices_by_app"),
        ("SELECT * FROM users WHERE app_id = 'a' AND open_id = 'o'", "users_app_id_open_id_key"),
        ("SELECT * FROM users WHERE app_id = 'a' ORDER BY created_at, seq", "users_by_app"),
        ("SELECT * FROM tickets WHERE ticket_hash = 't'", "tickets_pkey"),
        ("SELECT * FROM sessions WHERE token_hash = 't'", "sessions_pkey"),
        ("SELECT * FROM authorizations WHERE sn = 's' ORDER BY updated_at DESC, seq DESC", "authorizations_by_sn"),
        ("SELECT * FROM authorizations WHERE user_id = 'u' ORDER BY updated_at DESC, seq DESC",
         "authorizations_by_user"),
        ("SELECT * FROM calls ORDER BY started_at DESC, seq DESC LIMIT 5", "calls_by_time"),
        ("SELECT * FROM calls WHERE app_id = 'a' ORDER BY started_at DESC, seq DESC LIMIT 5", "calls_by_app"),
        ("SELECT * FROM calls WHERE sn = 's' ORDER BY started_at DESC, seq DESC LIMIT 5", "calls_by_sn"),
        ("SELECT * FROM calls WHERE user_id = 'u' ORDER BY started_at DESC, seq DESC LIMIT 5", "calls_by_user"),
        ("SELECT * FROM notices WHERE user_id = 'u' ORDER BY created_at DESC, seq DESC LIMIT 5", "notices_by_user"),
        ("SELECT * FROM notices WHERE user_id = 'u' AND read_at IS NULL ORDER BY created_at DESC, seq DESC LIMIT 5",
         "notices_by_user"),
        ("SELECT * FROM calls WHERE outcome IN ('ringing', 'active')", "calls_unfinished"),
        ("SELECT * FROM push_subscriptions WHERE user_id = 'u' ORDER BY created_at, seq", "push_subscriptions_by_user"),
        ("SELECT * FROM push_subscriptions WHERE endpoint = 'e'", "push_subscriptions_endpoint_key"),
    ])
    func postgresIndexes(query: String, index: String) async throws {
        let fixture = try await Fixture(.postgresql)
        let database = String(try #require(URLComponents(string: fixture.path)?.path.dropFirst()))
        let plan = try await PostgresServer.shared().psql("SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN " + query,
                                                          database: database)
        #expect(plan.contains(index), "\(query): \(plan)")
        #expect(!plan.contains("Seq Scan"), "\(query): \(plan)")
        #expect(!plan.contains("Sort"), "\(query): \(plan)")
    }
}
