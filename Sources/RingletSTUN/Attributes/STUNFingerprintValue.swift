/// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR 0x5354554E, as carried. Check it through
/// ``STUNMessage/verifyFingerprint()``.
public struct STUNFingerprintValue: STUNIntegerAttribute, Hashable {
    /// FINGERPRINT.
    public static let attributeType = STUNAttributeType.fingerprint
    /// The 32-bit value as sent (already XOR-ed).
    public let value: UInt32
    /// Wraps a value.
    public init(_ value: UInt32) { self.value = value }
    /// ``value``, as sent.
    public var integerValue: UInt32 { value }
    /// Wraps the received integer.
    public init(integerValue: UInt32) { self.init(integerValue) }
}
