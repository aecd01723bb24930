import RingletCore

/// CHANNEL-NUMBER (RFC 8656 §18.1): a channel number 0x4000–0x4FFF and 16 reserved bits.
///
/// A fixed-size attribute rather than a ``STUNIntegerAttribute``: not every number is valid, and which are
/// depends on whether the server takes RFC 5766 clients.
public struct STUNChannelNumber: STUNFixedSizeAttribute, Hashable {
    /// CHANNEL-NUMBER.
    public static let attributeType = STUNAttributeType.channelNumber
    /// 4 bytes: the number and 2 reserved bytes.
    public static let valueSize = 4
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
        let n = try Self.readInteger(value, as: UInt16.self)
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
