import RingletCore

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
    /// The byte count.
    public var encodedValueSize: Int { bytes.count }
}
