import RingletCore

/// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): an HMAC-SHA256, possibly truncated to 16–32 bytes in steps of 4.
public struct STUNMessageIntegritySHA256: STUNAttributeValue, Hashable {
    /// MESSAGE-INTEGRITY-SHA256.
    public static let attributeType = STUNAttributeType.messageIntegritySHA256
    /// The HMAC bytes.
    public let hmac: [UInt8]
    /// Wraps an HMAC; throws `invalidArgument` unless 16–32 bytes in steps of 4.
    public init(hmac: [UInt8]) throws(STUNError) {
        try Self.checkLength(hmac.count, .invalidArgument)
        self.hmac = hmac
    }
    /// Decodes; throws `invalidAttribute` unless 16–32 bytes in steps of 4.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try Self.checkLength(value.count, .invalidAttribute)
        hmac = Array(value)
    }
    /// Appends the HMAC.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hmac)
    }
    /// The HMAC's length.
    public var encodedValueSize: Int { hmac.count }

    /// Throws `code` unless `count` is 16–32 in steps of 4 (RFC 8489 §14.6).
    private static func checkLength(_ count: Int, _ code: STUNError.Code) throws(STUNError) {
        guard count >= 16, count <= 32, count & 3 == 0 else {
            throw STUNError(code, field: "MESSAGE-INTEGRITY-SHA256", "\(count) bytes")
        }
    }
}
