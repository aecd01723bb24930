import RingletStore
import Testing

@Suite("SN tickets and device registration")
struct TicketTests {
    let key: [UInt8] = [0x04] + (1...64).map { UInt8($0) }

    @Test("an inserted ticket reads back equal; a duplicate is a conflict", arguments: StoreKind.allCases)
    func ticketRoundTrip(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let ticket = Sample.ticket()
        try await fixture.store.insertTicket(ticket)
        #expect(try await fixture.store.ticket(hash: ticket.ticketHash) == ticket)
        #expect(try await fixture.store.ticket(hash: "rlt_none") == nil)
        #expect(await code { try await fixture.store.insertTicket(ticket) } == .conflict)
    }

    @Test("registering gives the device its key and marks the ticket used", arguments: StoreKind.allCases)
    func registers(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        let now = Sample.now + 1_000
        let device = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: now)
        #expect(device.publicKey == key)
        #expect(device.registeredAt == now)
        #expect(device.name == Sample.device().name)
        #expect(try await fixture.store.device(sn: "BELL_0001") == device)
        #expect(try await fixture.store.ticket(hash: "rlt_ticket-1")?.usedAt == now)
    }

    @Test("registering an SN with no device record creates it from the ticket", arguments: StoreKind.allCases)
    func registerCreatesDevice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket("rlt_new", sn: "BELL_NEW"))
        let device = try await fixture.store.registerDevice(ticketHash: "rlt_new", sn: "BELL_NEW", publicKey: key, now: Sample.now)
        #expect(device == DeviceRecord(sn: "BELL_NEW", modelID: Sample.model().id, appID: Sample.app().id,
                                       name: "BELL_NEW", publicKey: key, registeredAt: Sample.now, createdAt: Sample.now))
        #expect(try await fixture.store.device(sn: "BELL_NEW") == device)
    }

    @Test("an unknown ticket is ticketInvalid", arguments: StoreKind.allCases)
    func unknownTicket(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        #expect(await code { _ = try await fixture.store.registerDevice(ticketHash: "rlt_none", sn: "BELL_0001", publicKey: key, now: Sample.now) }
                == .ticketInvalid)
        #expect(try await fixture.store.device(sn: "BELL_0001")?.publicKey == nil)
    }

    @Test("a ticket is expired at its expiry time", arguments: StoreKind.allCases, [0, 1, 60_000])
    func expired(kind: StoreKind, after: Int64) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        let ticket = Sample.ticket()
        try await fixture.store.insertTicket(ticket)
        #expect(await code {
            _ = try await fixture.store.registerDevice(ticketHash: ticket.ticketHash, sn: "BELL_0001", publicKey: key,
                                                 now: ticket.expiresAt + after)
        } == .ticketInvalid)
        #expect(try await fixture.store.ticket(hash: ticket.ticketHash)?.usedAt == nil)
        #expect(try await fixture.store.device(sn: "BELL_0001")?.publicKey == nil)
    }

    @Test("a ticket registers once; the second use is ticketInvalid and keeps the first key", arguments: StoreKind.allCases)
    func usedTwice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: Sample.now)
        let other = [0x04] + [UInt8](repeating: 9, count: 64)
        #expect(await code { _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: other, now: Sample.now + 1) }
                == .ticketInvalid)
        #expect(try await fixture.store.device(sn: "BELL_0001")?.publicKey == key)
    }

    @Test("a ticket for another SN is ticketInvalid and leaves both devices alone", arguments: StoreKind.allCases)
    func otherSN(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertDevice(Sample.device("BELL_0002"))
        try await fixture.store.insertTicket(Sample.ticket())
        #expect(await code { _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0002", publicKey: key, now: Sample.now) }
                == .ticketInvalid)
        #expect(try await fixture.store.ticket(hash: "rlt_ticket-1")?.usedAt == nil)
        #expect(try await fixture.store.device(sn: "BELL_0002")?.publicKey == nil)
    }

    @Test("a fresh ticket does not re-key a registered device: alreadyRegistered, and the first key stays", arguments: StoreKind.allCases)
    func freshTicketDoesNotReKey(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        try await fixture.store.insertTicket(Sample.ticket("rlt_ticket-2"))
        _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: Sample.now)
        let newKey = [0x04] + [UInt8](repeating: 7, count: 64)
        #expect(await code {
            _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-2", sn: "BELL_0001", publicKey: newKey,
                                                 now: Sample.now + 10)
        } == .alreadyRegistered)
        #expect(try await fixture.store.device(sn: "BELL_0001")?.publicKey == key)
        #expect(try await fixture.store.ticket(hash: "rlt_ticket-2")?.usedAt == nil)
    }

    @Test("the same key with the ticket that registered it is a retry: the device comes back unchanged", arguments: StoreKind.allCases)
    func retryIsIdempotent(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        let first = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key,
                                                     now: Sample.now)
        let again = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key,
                                                     now: Sample.now + 5)
        #expect(again == first)
        let other = [0x04] + [UInt8](repeating: 3, count: 64)
        #expect(await code {
            _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: other,
                                                 now: Sample.now + 5)
        } == .ticketInvalid)
    }

    @Test("after a reset, a fresh ticket registers the device with a new key; tickets issued before the reset are gone", arguments: StoreKind.allCases)
    func resetThenRegister(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        try await fixture.store.insertTicket(Sample.ticket("rlt_before-reset"))
        _ = try await fixture.store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: Sample.now)
        try await fixture.store.setAuthorization(AuthorizationRecord(userID: Sample.user().id, sn: "BELL_0001",
                                                               status: .authorized, updatedAt: Sample.now))
        let reset = try await fixture.store.resetDevice(sn: "BELL_0001")
        #expect(reset.publicKey == nil && reset.registeredAt == nil)
        #expect(try await fixture.store.authorizations(sn: "BELL_0001").isEmpty)
        #expect(try await fixture.store.ticket(hash: "rlt_before-reset") == nil)
        try await fixture.store.insertTicket(Sample.ticket("rlt_after-reset"))
        let newKey = [0x04] + [UInt8](repeating: 7, count: 64)
        let device = try await fixture.store.registerDevice(ticketHash: "rlt_after-reset", sn: "BELL_0001", publicKey: newKey,
                                                      now: Sample.now + 10)
        #expect(device.publicKey == newKey)
        #expect(await code { _ = try await fixture.store.resetDevice(sn: "BELL_NONE") } == .notFound)
    }

    @Test("deleting a device removes it with its authorizations and tickets; its call history stays", arguments: StoreKind.allCases)
    func deleteDevice(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        try await fixture.store.setAuthorization(AuthorizationRecord(userID: Sample.user().id, sn: "BELL_0001",
                                                               status: .authorized, updatedAt: Sample.now))
        try await fixture.store.insertCall(Sample.call("call_1", startedAt: Sample.now))
        #expect(try await fixture.store.deleteDevice(sn: "BELL_0001"))
        #expect(try await fixture.store.device(sn: "BELL_0001") == nil)
        #expect(try await fixture.store.authorizations(sn: "BELL_0001").isEmpty)
        #expect(try await fixture.store.ticket(hash: "rlt_ticket-1") == nil)
        #expect(try await fixture.store.call(id: "call_1") != nil)
        #expect(try await fixture.store.deleteDevice(sn: "BELL_0001") == false)
    }

    @Test("one ticket authorizes at most maxUsers users, before it expires; the same user again does not count", arguments: StoreKind.allCases)
    func ticketAuthorizesFewUsers(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        let users = (1...3).map { Sample.user("usr_000000000000000\($0)", openID: "oid_00000000000000000000000\($0)") }
        for user in users { try await fixture.store.insertUser(user) }
        let app = Sample.app().id
        for user in users.prefix(2) {
            let record = try await fixture.store.authorizeWithTicket(ticketHash: "rlt_ticket-1", sn: "BELL_0001", userID: user.id,
                                                               appID: app, maxUsers: 2, now: Sample.now)
            #expect(record.status == .authorized)
        }
        _ = try await fixture.store.authorizeWithTicket(ticketHash: "rlt_ticket-1", sn: "BELL_0001", userID: users[0].id,
                                                  appID: app, maxUsers: 2, now: Sample.now + 1)
        #expect(await code {
            _ = try await fixture.store.authorizeWithTicket(ticketHash: "rlt_ticket-1", sn: "BELL_0001", userID: users[2].id,
                                                      appID: app, maxUsers: 2, now: Sample.now + 1)
        } == .ticketInvalid)
        #expect(try await fixture.store.authorization(userID: users[2].id, sn: "BELL_0001") == nil)
        #expect(await code {
            _ = try await fixture.store.authorizeWithTicket(ticketHash: "rlt_ticket-1", sn: "BELL_0001", userID: users[0].id,
                                                      appID: app, maxUsers: 2, now: Sample.ticket().expiresAt)
        } == .ticketInvalid)
        #expect(await code {
            _ = try await fixture.store.authorizeWithTicket(ticketHash: "rlt_ticket-1", sn: "BELL_0001", userID: users[0].id,
                                                      appID: "app_other", maxUsers: 2, now: Sample.now)
        } == .ticketInvalid)
    }

    @Test("concurrent registrations with one ticket: exactly one wins", arguments: StoreKind.allCases)
    func oneWinner(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await Sample.populate(fixture.store)
        try await fixture.store.insertTicket(Sample.ticket())
        let store = fixture.store
        let key = key
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    var mine = key
                    mine[1] = UInt8(index)
                    return (try? await store.registerDevice(ticketHash: "rlt_ticket-1", sn: "BELL_0001", publicKey: mine,
                                                      now: Sample.now)) != nil
                }
            }
            var wins = 0
            for await won in group where won { wins += 1 }
            return wins
        }
        #expect(wins == 1)
    }
}
