import RingletStore
import Testing

@Suite("Calls, notices and settings")
struct CallNoticeSettingTests {
    @Test("a call reads back equal and updates its outcome and times", arguments: StoreKind.allCases)
    func callRoundTrip(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        var call = Sample.call("call_1", startedAt: Sample.now)
        try await fixture.store.insertCall(call)
        #expect(try await fixture.store.call(id: "call_1") == call)
        call.outcome = .completed
        call.answeredAt = Sample.now + 2_000
        call.endedAt = Sample.now + 62_000
        try await fixture.store.updateCall(call)
        let read = try #require(try await fixture.store.call(id: "call_1"))
        #expect(read == call)
        #expect(read.durationMs == 60_000)
        #expect(try await fixture.store.call(id: "call_none") == nil)
    }

    @Test("updating an unknown call is notFound; a duplicate call id is a conflict", arguments: StoreKind.allCases)
    func callErrors(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        #expect(await code { try await fixture.store.updateCall(Sample.call("call_x", startedAt: 1)) } == .notFound)
        try await fixture.store.insertCall(Sample.call("call_x", startedAt: 1))
        #expect(await code { try await fixture.store.insertCall(Sample.call("call_x", startedAt: 1)) } == .conflict)
    }

    @Test("every outcome, kind, direction and channel survives the round trip",
          arguments: StoreKind.allCases, [CallRecord.Outcome.ringing, .active, .completed, .rejected, .busy, .timeout, .cancelled, .failed, .peerGone])
    func outcomes(kind: StoreKind, outcome: CallRecord.Outcome) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        for (index, channel) in AppChannel.allCases.enumerated() {
            // One device and user per call: at most one may ring or be active per SN and per user.
            let call = CallRecord(id: "call_\(index)", appID: Sample.app().id, sn: "BELL_000\(index)", userID: "usr_\(index)",
                                  direction: index % 2 == 0 ? .userToDevice : .deviceToUser,
                                  kind: index % 2 == 0 ? .audio : .video, channel: channel, outcome: outcome,
                                  startedAt: Int64(index), answeredAt: 5, endedAt: nil)
            try await fixture.store.insertCall(call)
            #expect(try await fixture.store.call(id: call.id) == call)
        }
    }

    @Test("calls come newest first, filtered, and cut at the limit", arguments: StoreKind.allCases)
    func callQueries(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_2"))
        let calls = [
            Sample.call("c1", startedAt: 100),
            Sample.call("c2", startedAt: 300, sn: "BELL_0002"),
            Sample.call("c3", startedAt: 200, userID: "usr_b"),
            Sample.call("c4", startedAt: 400, sn: "BELL_0002", userID: "usr_b"),
            Sample.call("c5", startedAt: 500, appID: "app_2"),
        ]
        for call in calls { try await fixture.store.insertCall(call) }
        let store = fixture.store
        #expect(try await store.calls(appID: nil, sn: nil, userID: nil, limit: 100).map(\.id) == ["c5", "c4", "c2", "c3", "c1"])
        #expect(try await store.calls(appID: Sample.app().id, sn: nil, userID: nil, limit: 100).map(\.id) == ["c4", "c2", "c3", "c1"])
        #expect(try await store.calls(appID: nil, sn: "BELL_0002", userID: nil, limit: 100).map(\.id) == ["c4", "c2"])
        #expect(try await store.calls(appID: nil, sn: nil, userID: "usr_b", limit: 100).map(\.id) == ["c4", "c3"])
        #expect(try await store.calls(appID: Sample.app().id, sn: "BELL_0002", userID: "usr_b", limit: 100).map(\.id) == ["c4"])
        #expect(try await store.calls(appID: "app_2", sn: "BELL_0002", userID: nil, limit: 100) == [])
        #expect(try await store.calls(appID: nil, sn: nil, userID: nil, limit: 2).map(\.id) == ["c5", "c4"])
        #expect(try await store.calls(appID: nil, sn: nil, userID: nil, limit: 0) == [])
        #expect(try await store.calls(appID: nil, sn: nil, userID: nil, limit: -1) == [])
    }

    @Test("calls started in the same millisecond come last inserted first", arguments: StoreKind.allCases)
    func callTies(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        for id in ["call_b", "call_a", "call_c"] { try await fixture.store.insertCall(Sample.call(id, startedAt: 7)) }
        #expect(try await fixture.store.calls(appID: nil, sn: nil, userID: nil, limit: 10).map(\.id) == ["call_c", "call_a", "call_b"])
    }

    @Test("notices come newest first; unreadOnly hides read ones; markNoticeRead keeps the first read time", arguments: StoreKind.allCases)
    func notices(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let user = Sample.user().id
        for (id, time) in [("n1", Int64(10)), ("n2", 30), ("n3", 20)] {
            try await fixture.store.insertNotice(Sample.notice(id, createdAt: time))
        }
        #expect(try await fixture.store.notices(userID: user, unreadOnly: false, limit: 10).map(\.id) == ["n2", "n3", "n1"])
        try await fixture.store.markNoticeRead(id: "n3", userID: user, now: 99)
        try await fixture.store.markNoticeRead(id: "n3", userID: user, now: 200)
        #expect(try await fixture.store.notices(userID: user, unreadOnly: true, limit: 10).map(\.id) == ["n2", "n1"])
        let all = try await fixture.store.notices(userID: user, unreadOnly: false, limit: 10)
        #expect(all.first { $0.id == "n3" }?.readAt == 99)
        #expect(all.first { $0.id == "n3" } == Sample.notice("n3", createdAt: 20).with(readAt: 99))
        #expect(try await fixture.store.notices(userID: user, unreadOnly: false, limit: 1).map(\.id) == ["n2"])
        #expect(try await fixture.store.notices(userID: "usr_none", unreadOnly: false, limit: 10) == [])
    }

    @Test("marking another user's notice or an unknown one is notFound", arguments: StoreKind.allCases)
    func markOtherUsersNotice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertUser(Sample.user("usr_b", openID: "oid_b"))
        try await fixture.store.insertNotice(Sample.notice("n1", createdAt: 1))
        #expect(await code { try await fixture.store.markNoticeRead(id: "n1", userID: "usr_b", now: 5) } == .notFound)
        #expect(await code { try await fixture.store.markNoticeRead(id: "n9", userID: Sample.user().id, now: 5) } == .notFound)
        #expect(try await fixture.store.notices(userID: Sample.user().id, unreadOnly: true, limit: 5).count == 1)
    }

    @Test("a notice for an unknown user is notFound; a duplicate id is a conflict", arguments: StoreKind.allCases)
    func noticeErrors(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        #expect(await code { try await fixture.store.insertNotice(Sample.notice("n1", createdAt: 1, userID: "usr_none")) } == .notFound)
        try await fixture.store.insertNotice(Sample.notice("n1", createdAt: 1))
        #expect(await code { try await fixture.store.insertNotice(Sample.notice("n1", createdAt: 1)) } == .conflict)
    }

    @Test("settings are nil until set, then hold the last value", arguments: StoreKind.allCases)
    func settings(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        #expect(try await fixture.store.setting("admin.tokenHash") == nil)
        try await fixture.store.setSetting("admin.tokenHash", "aa")
        try await fixture.store.setSetting("admin.tokenHash", "bb")
        try await fixture.store.setSetting("turn.secret", "")
        #expect(try await fixture.store.setting("admin.tokenHash") == "bb")
        #expect(try await fixture.store.setting("turn.secret") == "")
    }
}

extension NoticeRecord {
    func with(readAt: Int64?) -> NoticeRecord {
        var copy = self
        copy.readAt = readAt
        return copy
    }
}
