import RingletCore

/// An attribute whose presence is the whole message, with an empty value: USE-CANDIDATE (RFC 8445 §16.1) and
/// DONT-FRAGMENT (RFC 8656 §18.9).
///
/// Decoding (a value of zero bytes, else `invalidAttribute`), encoding (nothing) and the value size come from
/// this protocol.
public protocol STUNFlagAttribute: STUNFixedSizeAttribute {
    /// The flag.
    init()
}

extension STUNFlagAttribute {
    /// Empty.
    public static var valueSize: Int { 0 }

    /// Decodes; throws `invalidAttribute` unless the value is empty.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try Self.checkSize(value.count)
        self.init()
    }

    /// Appends nothing.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {}
}
