import RingletCore

/// USERHASH (RFC 8489 §14.4): SHA-256 of `username ":" realm`, 32 bytes, sent instead of USERNAME.
public struct STUNUserHash: STUNFixedSizeAttribute, Hashable {
    /// USERHASH.
    public static let attributeType = STUNAttributeType.userHash
    /// 32 bytes.
    public static let valueSize = 32
    /// The 32-byte hash.
    public let hash: [UInt8]
    /// Wraps a hash; throws `invalidArgument` unless it is 32 bytes.
    public init(hash: [UInt8]) throws(STUNError) {
        try Self.checkSize(hash.count, .invalidArgument)
        self.hash = hash
    }
    /// Computes SHA-256(username ":" realm) (RFC 8489 §14.4; both already OpaqueString-processed).
    public init(username: String, realm: String) throws(STUNError) {
        self.hash = try STUNIntegrityKey.digest(Array(username.utf8) + [0x3A] + Array(realm.utf8), sha256: true)
    }
    /// Decodes; throws `invalidAttribute` unless 32 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try Self.checkSize(value.count)
        hash = Array(value)
    }
    /// Appends the hash.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hash)
    }
}
