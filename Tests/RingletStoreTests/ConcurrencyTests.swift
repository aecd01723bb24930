import RingletStore
import Testing

@Suite("Concurrent use")
struct ConcurrencyTests {
    @Test("8 tasks × 50 inserts from several tasks lose nothing", arguments: StoreKind.allCases)
    func concurrentInserts(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<50 {
                        try await store.insertCall(Sample.call("call_\(task)_\(index)", startedAt: Int64(task * 1000 + index)))
                        try await store.insertNotice(Sample.notice("ntc_\(task)_\(index)", createdAt: Int64(index)))
                        _ = try await store.calls(appID: nil, sn: nil, userID: nil, limit: 5)
                    }
                }
            }
            try await group.waitForAll()
        }
        let calls = try await store.calls(appID: nil, sn: nil, userID: nil, limit: 1000)
        #expect(calls.count == 400)
        #expect(Set(calls.map(\.id)).count == 400)
        #expect(try await store.notices(userID: Sample.user().id, unreadOnly: true, limit: 1000).count == 400)
    }

    @Test("concurrent quota takes never overdraw: 8 tasks × 20 takes of a quota of 100 give exactly 100", arguments: StoreKind.allCases)
    func concurrentQuota(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app(quota: 100))
        let store = fixture.store
        let granted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var granted = 0
                    for _ in 0..<20 {
                        if try await store.consumeCallQuota(appID: Sample.app().id) { granted += 1 }
                    }
                    return granted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(granted == 100)
        #expect(try await store.app(id: Sample.app().id)?.callQuota == 0)
    }
}
