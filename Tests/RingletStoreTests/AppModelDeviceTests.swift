import RingletStore
import Testing

@Suite("Apps, models and devices in SQLite")
struct AppModelDeviceTests {
    @Test("an inserted app reads back equal, alone and in the list", arguments: StoreKind.allCases)
    func appRoundTrip(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let app = Sample.app(quota: 12)
        try await fixture.store.insertApp(app)
        #expect(try await fixture.store.app(id: app.id) == app)
        #expect(try await fixture.store.apps() == [app])
        #expect(try await fixture.store.app(id: "app_ffffffffffffffff") == nil)
    }

    @Test("apps are listed oldest first", arguments: StoreKind.allCases)
    func appsOrder(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        var later = Sample.app("app_2222222222222222")
        later.createdAt += 10
        try await fixture.store.insertApp(later)
        try await fixture.store.insertApp(Sample.app("app_1111111111111111"))
        #expect(try await fixture.store.apps().map(\.id) == ["app_1111111111111111", "app_2222222222222222"])
    }

    @Test("a duplicate app id is a conflict", arguments: StoreKind.allCases)
    func duplicateApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app())
        await #expect(throws: StoreError.self) { try await fixture.store.insertApp(Sample.app()) }
        #expect(await code { try await fixture.store.insertApp(Sample.app()) } == .conflict)
    }

    @Test("updateApp replaces name, approval and quota but keeps the secret hash and creation time", arguments: StoreKind.allCases)
    func updateApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let app = Sample.app(quota: nil)
        try await fixture.store.insertApp(app)
        var changed = app
        changed.name = "Gates"
        changed.releaseApproved = false
        changed.callQuota = 3
        changed.secretHash = "00"
        changed.createdAt = 1
        try await fixture.store.updateApp(changed)
        let read = try #require(try await fixture.store.app(id: app.id))
        #expect(read.name == "Gates")
        #expect(read.releaseApproved == false)
        #expect(read.callQuota == 3)
        #expect(read.secretHash == app.secretHash)
        #expect(read.createdAt == app.createdAt)
    }

    @Test("updating an app that does not exist is notFound", arguments: StoreKind.allCases)
    func updateMissingApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        #expect(await code { try await fixture.store.updateApp(Sample.app()) } == .notFound)
    }

    @Test("a model reads back by id and by app; an unknown app is notFound", arguments: StoreKind.allCases)
    func models(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app())
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        let model = Sample.model()
        try await fixture.store.insertModel(model)
        try await fixture.store.insertModel(Sample.model("mdl_other", appID: "app_9999999999999999"))
        #expect(try await fixture.store.model(id: model.id) == model)
        #expect(try await fixture.store.models(appID: model.appID) == [model])
        #expect(try await fixture.store.model(id: "mdl_none") == nil)
        #expect(await code { try await fixture.store.insertModel(Sample.model("mdl_x", appID: "app_none")) } == .notFound)
        #expect(await code { try await fixture.store.insertModel(model) } == .conflict)
    }

    @Test("a device reads back by SN and by app, with or without a key", arguments: StoreKind.allCases)
    func devices(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app())
        try await fixture.store.insertModel(Sample.model())
        let plain = Sample.device()
        var keyed = Sample.device("BELL_0002")
        keyed.publicKey = [0x04] + [UInt8](repeating: 0xA5, count: 64)
        keyed.registeredAt = Sample.now + 5
        try await fixture.store.insertDevice(plain)
        try await fixture.store.insertDevice(keyed)
        #expect(try await fixture.store.device(sn: plain.sn) == plain)
        #expect(try await fixture.store.device(sn: keyed.sn) == keyed)
        #expect(try await fixture.store.devices(appID: plain.appID) == [plain, keyed])
        #expect(try await fixture.store.devices(appID: "app_none") == [])
        #expect(try await fixture.store.device(sn: "NOPE") == nil)
    }

    @Test("renaming a device changes its name only and returns it; an unknown SN is notFound", arguments: StoreKind.allCases)
    func renameDevice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        var keyed = Sample.device("BELL_0002")
        keyed.publicKey = [0x04] + [UInt8](repeating: 0x5A, count: 64)
        keyed.registeredAt = Sample.now + 5
        try await fixture.store.insertDevice(keyed)
        let renamed = try await fixture.store.renameDevice(sn: keyed.sn, name: "Back gate")
        var expected = keyed
        expected.name = "Back gate"
        #expect(renamed == expected)
        #expect(try await fixture.store.device(sn: keyed.sn) == expected)
        #expect(try await fixture.store.device(sn: Sample.device().sn)?.name == Sample.device().name)
        #expect(await code { _ = try await fixture.store.renameDevice(sn: "NOPE", name: "x") } == .notFound)
    }

    @Test("a duplicate SN is a conflict, even under another app", arguments: StoreKind.allCases)
    func duplicateSN(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        try await fixture.store.insertModel(Sample.model("mdl_other", appID: "app_9999999999999999"))
        #expect(await code { try await fixture.store.insertDevice(Sample.device()) } == .conflict)
        #expect(await code {
            try await fixture.store.insertDevice(Sample.device(modelID: "mdl_other", appID: "app_9999999999999999"))
        } == .conflict)
    }

    @Test("a device whose model is unknown or of another app is notFound", arguments: StoreKind.allCases)
    func deviceModelMismatch(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertApp(Sample.app("app_9999999999999999"))
        #expect(await code { try await fixture.store.insertDevice(Sample.device("X1", modelID: "mdl_none")) } == .notFound)
        #expect(await code {
            try await fixture.store.insertDevice(Sample.device("X2", appID: "app_9999999999999999"))
        } == .notFound)
    }

    @Test("the quota counts down to 0, then refuses, and stays at 0", arguments: StoreKind.allCases)
    func quotaCountsDown(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app(quota: 3))
        var taken: [Bool] = []
        for _ in 0..<5 { taken.append(try await fixture.store.consumeCallQuota(appID: Sample.app().id)) }
        #expect(taken == [true, true, true, false, false])
        #expect(try await fixture.store.app(id: Sample.app().id)?.callQuota == 0)
    }

    @Test("a nil quota is unlimited and stays nil", arguments: StoreKind.allCases)
    func quotaUnlimited(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.store.insertApp(Sample.app(quota: nil))
        for _ in 0..<20 { #expect(try await fixture.store.consumeCallQuota(appID: Sample.app().id)) }
        #expect(try await fixture.store.app(id: Sample.app().id)?.callQuota == nil)
    }

    @Test("taking from the quota of an unknown app is notFound", arguments: StoreKind.allCases)
    func quotaUnknownApp(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        #expect(await code { _ = try await fixture.store.consumeCallQuota(appID: "app_none") } == .notFound)
    }
}

/// The code of the `StoreError` that `body` throws, or nil when it throws nothing (or something else).
