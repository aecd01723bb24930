import RingletCore

/// MESSAGE-INTEGRITY (RFC 8489 §14.5): the 20-byte HMAC-SHA1 as carried. Build and check it through
/// ``STUNMessage/encode(into:messageIntegrity:messageIntegritySHA256:sha256Length:fingerprint:)`` and
/// ``STUNMessage/verifyMessageIntegrity(_:)``; this type only reads or writes the value.
public struct STUNMessageIntegrity: STUNFixedSizeAttribute, Hashable {
    /// MESSAGE-INTEGRITY.
    public static let attributeType = STUNAttributeType.messageIntegrity
    /// 20 bytes.
    public static let valueSize = 20
    /// The HMAC bytes.
    public let hmac: [UInt8]
    /// Wraps an HMAC; throws `invalidArgument` unless 20 bytes.
    public init(hmac: [UInt8]) throws(STUNError) {
        try Self.checkSize(hmac.count, .invalidArgument)
        self.hmac = hmac
    }
    /// Decodes; throws `invalidAttribute` unless 20 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try Self.checkSize(value.count)
        hmac = Array(value)
    }
    /// Appends the HMAC.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hmac)
    }
}
