import RingletStore
import Testing

@Suite("Apps, models and devices in SQLite")
struct AppModelDeviceTests {
    @Test("an inserted app reads back equal, alone and in the list")
    func appRoundTrip() throws {
        let fixture = try Fixture()
        let app = Sample.app(quota: 12)
        try fixture.store.insertApp(app)
        #expect(try fixture.store.app(id: app.id) == app)
        #expect(try fixture.store.apps() == [app])
        #expect(try fixture.store.app(id: "app_ffffffffffffffff") == nil)
    }

    @Test("apps are listed oldest first")
    func appsOrder() throws {
        let fixture = try Fixture()
        var later = Sample.app("app_2222222222222222")
        later.createdAt += 10
        try fixture.store.insertApp(later)
        try fixture.store.insertApp(Sample.app("app_1111111111111111"))
        #expect(try fixture.store.apps().map(\.id) == ["app_1111111111111111", "app_2222222222222222"])
    }

    @Test("a duplicate app id is a conflict")
    func duplicateApp() throws {
        let fixture = try Fixture()
        try fixture.store.insertApp(Sample.app())
        #expect(throws: StoreError.self) { try fixture.store.insertApp(Sample.app()) }
        #expect(code { try fixture.store.insertApp(Sample.app()) } == .conflict)
    }

    @Test("updateApp replaces name, approval and quota but keeps the secret hash and creation time")
    func updateApp() throws {
        let fixture = try Fixture()
        let app = Sample.app(quota: nil)
        try fixture.store.insertApp(app)
        var changed = app
        changed.name = "Gates"
        changed.releaseApproved = false
        changed.callQuota = 3
        changed.secretHash = "00"
        changed.createdAt = 1
        try fixture.store.updateApp(changed)
        let read = try #require(try fixture.store.app(id: app.id))
        #expect(read.name == "Gates")
        #expect(read.releaseApproved == false)
        #expect(read.callQuota == 3)
        #expect(read.secretHash == app.secretHash)
        #expect(read.createdAt == app.createdAt)
    }

    @Test("updating an app that does not exist is notFound")
    func updateMissingApp() throws {
        let fixture = try Fixture()
        #expect(code { try fixture.store.updateApp(Sample.app()) } == .notFound)
    }

    @Test("a model reads back by id and by app; an unknown app is notFound")
    func models() throws {
        let fixture = try Fixture()
        try fixture.store.insertApp(Sample.app())
        try fixture.store.insertApp(Sample.app("app_9999999999999999"))
        let model = Sample.model()
        try fixture.store.insertModel(model)
        try fixture.store.insertModel(Sample.model("mdl_other", appID: "app_9999999999999999"))
        #expect(try fixture.store.model(id: model.id) == model)
        #expect(try fixture.store.models(appID: model.appID) == [model])
        #expect(try fixture.store.model(id: "mdl_none") == nil)
        #expect(code { try fixture.store.insertModel(Sample.model("mdl_x", appID: "app_none")) } == .notFound)
        #expect(code { try fixture.store.insertModel(model) } == .conflict)
    }

    @Test("a device reads back by SN and by app, with or without a key")
    func devices() throws {
        let fixture = try Fixture()
        try fixture.store.insertApp(Sample.app())
        try fixture.store.insertModel(Sample.model())
        let plain = Sample.device()
        var keyed = Sample.device("BELL_0002")
        keyed.publicKey = [0x04] + [UInt8](repeating: 0xA5, count: 64)
        keyed.registeredAt = Sample.now + 5
        try fixture.store.insertDevice(plain)
        try fixture.store.insertDevice(keyed)
        #expect(try fixture.store.device(sn: plain.sn) == plain)
        #expect(try fixture.store.device(sn: keyed.sn) == keyed)
        #expect(try fixture.store.devices(appID: plain.appID) == [plain, keyed])
        #expect(try fixture.store.devices(appID: "app_none") == [])
        #expect(try fixture.store.device(sn: "NOPE") == nil)
    }

    @Test("a duplicate SN is a conflict, even under another app")
    func duplicateSN() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertApp(Sample.app("app_9999999999999999"))
        try fixture.store.insertModel(Sample.model("mdl_other", appID: "app_9999999999999999"))
        #expect(code { try fixture.store.insertDevice(Sample.device()) } == .conflict)
        #expect(code {
            try fixture.store.insertDevice(Sample.device(modelID: "mdl_other", appID: "app_9999999999999999"))
        } == .conflict)
    }

    @Test("a device whose model is unknown or of another app is notFound")
    func deviceModelMismatch() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertApp(Sample.app("app_9999999999999999"))
        #expect(code { try fixture.store.insertDevice(Sample.device("X1", modelID: "mdl_none")) } == .notFound)
        #expect(code {
            try fixture.store.insertDevice(Sample.device("X2", appID: "app_9999999999999999"))
        } == .notFound)
    }

    @Test("the quota counts down to 0, then refuses, and stays at 0")
    func quotaCountsDown() throws {
        let fixture = try Fixture()
        try fixture.store.insertApp(Sample.app(quota: 3))
        var taken: [Bool] = []
        for _ in 0..<5 { taken.append(try fixture.store.consumeCallQuota(appID: Sample.app().id)) }
        #expect(taken == [true, true, true, false, false])
        #expect(try fixture.store.app(id: Sample.app().id)?.callQuota == 0)
    }

    @Test("a nil quota is unlimited and stays nil")
    func quotaUnlimited() throws {
        let fixture = try Fixture()
        try fixture.store.insertApp(Sample.app(quota: nil))
        for _ in 0..<20 { #expect(try fixture.store.consumeCallQuota(appID: Sample.app().id)) }
        #expect(try fixture.store.app(id: Sample.app().id)?.callQuota == nil)
    }

    @Test("taking from the quota of an unknown app is notFound")
    func quotaUnknownApp() throws {
        let fixture = try Fixture()
        #expect(code { _ = try fixture.store.consumeCallQuota(appID: "app_none") } == .notFound)
    }
}

/// The code of the `StoreError` that `body` throws, or nil when it throws nothing (or something else).
func code(_ body: () throws -> Void) -> StoreError.Code? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return nil
    }
}
