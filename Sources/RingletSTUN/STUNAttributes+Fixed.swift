import RingletCore

/// Checks that a value has exactly `size` bytes.
@inline(__always)
func expectSize(_ value: ArraySlice<UInt8>, _ size: Int, _ type: STUNAttributeType) throws(STUNError) {
    guard value.count == size else {
        throw STUNError(.invalidAttribute, field: type.description, "\(value.count) bytes, not \(size)")
    }
}

/// Big-endian integer from a slice already known to hold `count` bytes.
@inline(__always)
func bigEndian(_ value: ArraySlice<UInt8>, count: Int) -> UInt64 {
    var v: UInt64 = 0
    for b in value.prefix(count) { v = v << 8 | UInt64(b) }
    return v
}

/// PRIORITY (RFC 8445 §7.1.1, §16.1): the priority a peer-reflexive candidate would get, 32 bits.
public struct STUNPriority: STUNAttributeValue, Hashable {
    /// PRIORITY.
    public static let attributeType = STUNAttributeType.priority
    /// The priority.
    public let value: UInt32
    /// Wraps a priority.
    public init(_ value: UInt32) { self.value = value }
    /// Decodes; throws `invalidAttribute` unless 4 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        self.value = UInt32(truncatingIfNeeded: bigEndian(value, count: 4))
    }
    /// Appends 4 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt32(value)
    }
}

/// USE-CANDIDATE (RFC 8445 §7.1.2, §16.1): the controlling agent nominates this pair. Empty.
public struct STUNUseCandidate: STUNAttributeValue, Hashable {
    /// USE-CANDIDATE.
    public static let attributeType = STUNAttributeType.useCandidate
    /// The flag.
    public init() {}
    /// Decodes; throws `invalidAttribute` unless empty.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 0, Self.attributeType)
    }
    /// Appends nothing.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {}
}

/// ICE-CONTROLLED (RFC 8445 §7.1.3, §16.1): the sender is controlled; a 64-bit tie-breaker.
public struct STUNICEControlled: STUNAttributeValue, Hashable {
    /// ICE-CONTROLLED.
    public static let attributeType = STUNAttributeType.iceControlled
    /// The tie-breaker.
    public let tieBreaker: UInt64
    /// Wraps a tie-breaker.
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
    /// Decodes; throws `invalidAttribute` unless 8 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 8, Self.attributeType)
        tieBreaker = bigEndian(value, count: 8)
    }
    /// Appends 8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt64(tieBreaker)
    }
}

/// ICE-CONTROLLING (RFC 8445 §7.1.3, §16.1): the sender is controlling; a 64-bit tie-breaker.
public struct STUNICEControlling: STUNAttributeValue, Hashable {
    /// ICE-CONTROLLING.
    public static let attributeType = STUNAttributeType.iceControlling
    /// The tie-breaker.
    public let tieBreaker: UInt64
    /// Wraps a tie-breaker.
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
    /// Decodes; throws `invalidAttribute` unless 8 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 8, Self.attributeType)
        tieBreaker = bigEndian(value, count: 8)
    }
    /// Appends 8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt64(tieBreaker)
    }
}

/// CHANNEL-NUMBER (RFC 8656 §18.1): a channel number 0x4000–0x4FFF and 16 reserved bits.
public struct STUNChannelNumber: STUNAttributeValue, Hashable {
    /// CHANNEL-NUMBER.
    public static let attributeType = STUNAttributeType.channelNumber
    /// Valid channel numbers (RFC 8656 §12).
    public static let validRange: ClosedRange<UInt16> = 0x4000...0x4FFF
    /// The channel numbers of RFC 5766 §11 (0x4000–0x7FFF), which RFC 8656 narrowed to ``validRange``; older
    /// clients (e.g. coturn's `turnutils_uclient`) still pick numbers above 0x4FFF, and servers such as coturn
    /// accept them.
    public static let rfc5766Range: ClosedRange<UInt16> = 0x4000...0x7FFF
    /// The channel number.
    public let number: UInt16
    /// Makes the attribute; throws `invalidArgument` outside 0x4000–0x4FFF.
    public init(_ number: UInt16) throws(STUNError) {
        guard Self.validRange.contains(number) else {
            throw STUNError(.invalidArgument, field: "CHANNEL-NUMBER", "0x\(String(number, radix: 16)) outside 0x4000–0x4FFF")
        }
        self.number = number
    }
    /// Decodes; throws `invalidAttribute` unless 4 bytes with a number in 0x4000–0x4FFF.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try self.init(attributeValue: value, accepting: Self.validRange)
    }
    /// Decodes a number from `range` (``validRange``, or ``rfc5766Range`` for a server that takes RFC 5766
    /// clients); throws `invalidAttribute` unless 4 bytes with a number in `range`.
    public init(attributeValue value: ArraySlice<UInt8>, accepting range: ClosedRange<UInt16>) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        let n = UInt16(truncatingIfNeeded: bigEndian(value, count: 2))
        guard range.contains(n) else {
            throw STUNError(.invalidAttribute, field: "CHANNEL-NUMBER",
                            "0x\(String(n, radix: 16)) outside 0x\(String(range.lowerBound, radix: 16))–0x\(String(range.upperBound, radix: 16))")
        }
        number = n
    }
    /// Appends the number and two zero bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt16(number)
        writer.writeUInt16(0)
    }
}

/// LIFETIME (RFC 8656 §18.2): seconds until the allocation expires.
public struct STUNLifetime: STUNAttributeValue, Hashable {
    /// LIFETIME.
    public static let attributeType = STUNAttributeType.lifetime
    /// Seconds.
    public let seconds: UInt32
    /// Wraps a lifetime.
    public init(seconds: UInt32) { self.seconds = seconds }
    /// Decodes; throws `invalidAttribute` unless 4 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        seconds = UInt32(truncatingIfNeeded: bigEndian(value, count: 4))
    }
    /// Appends 4 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt32(seconds)
    }
}

/// DATA (RFC 8656 §18.4): application data in Send and Data indications.
public struct STUNData: STUNAttributeValue, Hashable {
    /// DATA.
    public static let attributeType = STUNAttributeType.data
    /// The bytes (sharing the message's storage when decoded).
    public let bytes: ArraySlice<UInt8>
    /// Wraps bytes; throws `invalidArgument` past 65 535 bytes.
    public init(_ bytes: ArraySlice<UInt8>) throws(STUNError) {
        guard bytes.count <= 0xFFFF else { throw STUNError(.invalidArgument, field: "DATA", "too long") }
        self.bytes = bytes
    }
    /// Decodes any value.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        bytes = value
    }
    /// Appends the bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(bytes)
    }
}

/// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6): the family of relayed address wanted; a family byte and 3
/// reserved bytes.
public struct STUNRequestedAddressFamily: STUNAttributeValue, Hashable {
    /// REQUESTED-ADDRESS-FAMILY.
    public static let attributeType = STUNAttributeType.requestedAddressFamily
    /// The family (any byte round-trips; the server answers 440 to ones it does not support).
    public let family: STUNAddressFamily
    /// Wraps a family.
    public init(_ family: STUNAddressFamily) { self.family = family }
    /// Decodes; throws `invalidAttribute` unless 4 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        family = STUNAddressFamily(rawValue: value[value.startIndex])
    }
    /// Appends the family and 3 zero bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt8(family.rawValue)
        writer.writeRepeating(0, count: 3)
    }
}

/// EVEN-PORT (RFC 8656 §18.7): ask for an even relayed port; R asks to reserve the next one too. One byte.
public struct STUNEvenPort: STUNAttributeValue, Hashable {
    /// EVEN-PORT.
    public static let attributeType = STUNAttributeType.evenPort
    /// The R bit.
    public let reserveNext: Bool
    /// Wraps the flag.
    public init(reserveNext: Bool) { self.reserveNext = reserveNext }
    /// Decodes; throws `invalidAttribute` unless 1 byte.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 1, Self.attributeType)
        reserveNext = value[value.startIndex] & 0x80 != 0
    }
    /// Appends one byte (R in the top bit).
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt8(reserveNext ? 0x80 : 0)
    }
}

/// REQUESTED-TRANSPORT (RFC 8656 §18.8): the IP protocol number of the relayed transport (17, UDP) and 3
/// reserved bytes.
public struct STUNRequestedTransport: STUNAttributeValue, Hashable {
    /// REQUESTED-TRANSPORT.
    public static let attributeType = STUNAttributeType.requestedTransport
    /// UDP's protocol number.
    public static let udp: UInt8 = 17
    /// The protocol number.
    public let protocolNumber: UInt8
    /// Wraps a protocol number.
    public init(protocolNumber: UInt8) { self.protocolNumber = protocolNumber }
    /// Decodes; throws `invalidAttribute` unless 4 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        protocolNumber = value[value.startIndex]
    }
    /// Appends the protocol and 3 zero bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt8(protocolNumber)
        writer.writeRepeating(0, count: 3)
    }
}

/// DONT-FRAGMENT (RFC 8656 §18.9): set DF on relayed UDP. Empty.
public struct STUNDontFragment: STUNAttributeValue, Hashable {
    /// DONT-FRAGMENT.
    public static let attributeType = STUNAttributeType.dontFragment
    /// The flag.
    public init() {}
    /// Decodes; throws `invalidAttribute` unless empty.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 0, Self.attributeType)
    }
    /// Appends nothing.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {}
}

/// RESERVATION-TOKEN (RFC 8656 §18.10): a 64-bit token naming a reserved relayed address.
public struct STUNReservationToken: STUNAttributeValue, Hashable {
    /// RESERVATION-TOKEN.
    public static let attributeType = STUNAttributeType.reservationToken
    /// The token.
    public let token: UInt64
    /// Wraps a token.
    public init(token: UInt64) { self.token = token }
    /// Decodes; throws `invalidAttribute` unless 8 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 8, Self.attributeType)
        token = bigEndian(value, count: 8)
    }
    /// Appends 8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt64(token)
    }
}

/// MESSAGE-INTEGRITY (RFC 8489 §14.5): the 20-byte HMAC-SHA1 as carried. Build and check it through
/// ``STUNMessage/encode(into:messageIntegrity:messageIntegritySHA256:sha256Length:fingerprint:)`` and
/// ``STUNMessage/verifyMessageIntegrity(_:)``; this type only reads or writes the value.
public struct STUNMessageIntegrity: STUNAttributeValue, Hashable {
    /// MESSAGE-INTEGRITY.
    public static let attributeType = STUNAttributeType.messageIntegrity
    /// The HMAC bytes.
    public let hmac: [UInt8]
    /// Wraps an HMAC; throws `invalidArgument` unless 20 bytes.
    public init(hmac: [UInt8]) throws(STUNError) {
        guard hmac.count == 20 else { throw STUNError(.invalidArgument, field: "MESSAGE-INTEGRITY", "not 20 bytes") }
        self.hmac = hmac
    }
    /// Decodes; throws `invalidAttribute` unless 20 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 20, Self.attributeType)
        hmac = Array(value)
    }
    /// Appends the HMAC.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hmac)
    }
}

/// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): an HMAC-SHA256, possibly truncated to 16–32 bytes in steps of 4.
public struct STUNMessageIntegritySHA256: STUNAttributeValue, Hashable {
    /// MESSAGE-INTEGRITY-SHA256.
    public static let attributeType = STUNAttributeType.messageIntegritySHA256
    /// The HMAC bytes.
    public let hmac: [UInt8]
    /// Wraps an HMAC; throws `invalidArgument` unless 16–32 bytes in steps of 4.
    public init(hmac: [UInt8]) throws(STUNError) {
        guard hmac.count >= 16, hmac.count <= 32, hmac.count & 3 == 0 else {
            throw STUNError(.invalidArgument, field: "MESSAGE-INTEGRITY-SHA256", "\(hmac.count) bytes")
        }
        self.hmac = hmac
    }
    /// Decodes; throws `invalidAttribute` unless 16–32 bytes in steps of 4.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        guard value.count >= 16, value.count <= 32, value.count & 3 == 0 else {
            throw STUNError(.invalidAttribute, field: "MESSAGE-INTEGRITY-SHA256", "\(value.count) bytes")
        }
        hmac = Array(value)
    }
    /// Appends the HMAC.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hmac)
    }
}

/// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR 0x5354554E, as carried. Check it through
/// ``STUNMessage/verifyFingerprint()``.
public struct STUNFingerprintValue: STUNAttributeValue, Hashable {
    /// FINGERPRINT.
    public static let attributeType = STUNAttributeType.fingerprint
    /// The 32-bit value as sent (already XOR-ed).
    public let value: UInt32
    /// Wraps a value.
    public init(_ value: UInt32) { self.value = value }
    /// Decodes; throws `invalidAttribute` unless 4 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try expectSize(value, 4, Self.attributeType)
        self.value = UInt32(truncatingIfNeeded: bigEndian(value, count: 4))
    }
    /// Appends 4 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt32(value)
    }
}
