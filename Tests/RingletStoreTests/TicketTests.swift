import RingletStore
import Testing

@Suite("SN tickets and device registration")
struct TicketTests {
    let key: [UInt8] = [0x04] + (1...64).map { UInt8($0) }

    @Test("an inserted ticket reads back equal; a duplicate is a conflict")
    func ticketRoundTrip() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        let ticket = Sample.ticket()
        try fixture.store.insertTicket(ticket)
        #expect(try fixture.store.ticket(ticket.ticket) == ticket)
        #expect(try fixture.store.ticket("rlt_none") == nil)
        #expect(code { try fixture.store.insertTicket(ticket) } == .conflict)
    }

    @Test("registering gives the device its key and marks the ticket used")
    func registers() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertTicket(Sample.ticket())
        let now = Sample.now + 1_000
        let device = try fixture.store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: now)
        #expect(device.publicKey == key)
        #expect(device.registeredAt == now)
        #expect(device.name == Sample.device().name)
        #expect(try fixture.store.device(sn: "BELL_0001") == device)
        #expect(try fixture.store.ticket("rlt_ticket-1")?.usedAt == now)
    }

    @Test("registering an SN with no device record creates it from the ticket")
    func registerCreatesDevice() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertTicket(Sample.ticket("rlt_new", sn: "BELL_NEW"))
        let device = try fixture.store.registerDevice(ticket: "rlt_new", sn: "BELL_NEW", publicKey: key, now: Sample.now)
        #expect(device == DeviceRecord(sn: "BELL_NEW", modelID: Sample.model().id, appID: Sample.app().id,
                                       name: "BELL_NEW", publicKey: key, registeredAt: Sample.now, createdAt: Sample.now))
        #expect(try fixture.store.device(sn: "BELL_NEW") == device)
    }

    @Test("an unknown ticket is ticketInvalid")
    func unknownTicket() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        #expect(code { _ = try fixture.store.registerDevice(ticket: "rlt_none", sn: "BELL_0001", publicKey: key, now: Sample.now) }
                == .ticketInvalid)
        #expect(try fixture.store.device(sn: "BELL_0001")?.publicKey == nil)
    }

    @Test("a ticket is expired at its expiry time", arguments: [0, 1, 60_000])
    func expired(after: Int64) throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        let ticket = Sample.ticket()
        try fixture.store.insertTicket(ticket)
        #expect(code {
            _ = try fixture.store.registerDevice(ticket: ticket.ticket, sn: "BELL_0001", publicKey: key,
                                                 now: ticket.expiresAt + after)
        } == .ticketInvalid)
        #expect(try fixture.store.ticket(ticket.ticket)?.usedAt == nil)
        #expect(try fixture.store.device(sn: "BELL_0001")?.publicKey == nil)
    }

    @Test("a ticket registers once; the second use is ticketInvalid and keeps the first key")
    func usedTwice() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertTicket(Sample.ticket())
        _ = try fixture.store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: Sample.now)
        let other = [0x04] + [UInt8](repeating: 9, count: 64)
        #expect(code { _ = try fixture.store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0001", publicKey: other, now: Sample.now + 1) }
                == .ticketInvalid)
        #expect(try fixture.store.device(sn: "BELL_0001")?.publicKey == key)
    }

    @Test("a ticket for another SN is ticketInvalid and leaves both devices alone")
    func otherSN() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertDevice(Sample.device("BELL_0002"))
        try fixture.store.insertTicket(Sample.ticket())
        #expect(code { _ = try fixture.store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0002", publicKey: key, now: Sample.now) }
                == .ticketInvalid)
        #expect(try fixture.store.ticket("rlt_ticket-1")?.usedAt == nil)
        #expect(try fixture.store.device(sn: "BELL_0002")?.publicKey == nil)
    }

    @Test("a new ticket re-registers a device with a new key")
    func reRegister() throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertTicket(Sample.ticket())
        try fixture.store.insertTicket(Sample.ticket("rlt_ticket-2"))
        _ = try fixture.store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0001", publicKey: key, now: Sample.now)
        let newKey = [0x04] + [UInt8](repeating: 7, count: 64)
        let device = try fixture.store.registerDevice(ticket: "rlt_ticket-2", sn: "BELL_0001", publicKey: newKey,
                                                      now: Sample.now + 10)
        #expect(device.publicKey == newKey)
        #expect(device.registeredAt == Sample.now + 10)
    }

    @Test("concurrent registrations with one ticket: exactly one wins")
    func oneWinner() async throws {
        let fixture = try Fixture()
        try Sample.populate(fixture.store)
        try fixture.store.insertTicket(Sample.ticket())
        let store = fixture.store
        let key = key
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    var mine = key
                    mine[1] = UInt8(index)
                    return (try? store.registerDevice(ticket: "rlt_ticket-1", sn: "BELL_0001", publicKey: mine,
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
