/// What registering a device with a ticket does (``Store/registerDevice(ticketHash:sn:publicKey:now:)``): the
/// protocol's rules, decided once for every store from the ticket and the device as the transaction read them.
enum Registration: Equatable {
    /// The same key with the ticket that registered it: a retry after a lost answer; the device, unchanged.
    case retry(DeviceRecord)
    /// The existing device record gets the key: the record as it becomes.
    case rekey(DeviceRecord)
    /// No device record yet: the one to insert, made from the ticket (name = SN, created now).
    case insert(DeviceRecord)

    /// The decision, or the rule that fails (`ticketInvalid`, `alreadyRegistered`). Whatever it is, the caller
    /// then marks the ticket used (except for a retry) and writes the device.
    static func decide(ticket: TicketRecord?, sn: String, publicKey: [UInt8], now: Int64, existing: DeviceRecord?)
        throws(StoreError) -> Registration
    {
        guard let ticket else { throw StoreError(.ticketInvalid, "unknown ticket") }
        guard ticket.sn == sn else { throw StoreError(.ticketInvalid, "the ticket is for another SN") }
        guard now < ticket.expiresAt else { throw StoreError(.ticketInvalid, "the ticket expired") }
        if let existing, existing.publicKey != nil {
            if existing.publicKey == publicKey, let used = ticket.usedAt, used == existing.registeredAt {
                return .retry(existing)
            }
            guard ticket.usedAt == nil else { throw StoreError(.ticketInvalid, "the ticket was used already") }
            throw StoreError(.alreadyRegistered, "device \(sn) is registered; reset it before registering it again")
        }
        guard ticket.usedAt == nil else { throw StoreError(.ticketInvalid, "the ticket was used already") }
        guard var device = existing else {
            return .insert(DeviceRecord(sn: sn, modelID: ticket.modelID, appID: ticket.appID, name: sn,
                                        publicKey: publicKey, registeredAt: now, createdAt: now))
        }
        guard device.appID == ticket.appID, device.modelID == ticket.modelID else {
            throw StoreError(.ticketInvalid, "the device belongs to another model or app than the ticket")
        }
        device.publicKey = publicKey
        device.registeredAt = now
        return .rekey(device)
    }
}
