import RingletCore

/// PASSWORD-ALGORITHM (RFC 8489 §14.12): the algorithm the client chose for the long-term key.
///
/// ```
/// |          Algorithm           |  Algorithm Parameters Length   |
/// |                    Algorithm Parameters (variable)            ...
/// ```
/// Parameters are padded to a multiple of 4 bytes inside the value; the registered algorithms have none.
public struct STUNPasswordAlgorithm: STUNAttributeValue, Hashable {
    /// PASSWORD-ALGORITHM.
    public static let attributeType = STUNAttributeType.passwordAlgorithm

    /// A password algorithm number (RFC 8489 §18.5). Open.
    public struct Kind: RawRepresentable, Hashable, Sendable {
        /// The 16-bit number.
        public let rawValue: UInt16
        /// Makes a kind from its number.
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// MD5 (0x0001).
        public static let md5 = Kind(rawValue: 0x0001)
        /// SHA-256 (0x0002).
        public static let sha256 = Kind(rawValue: 0x0002)
    }

    /// The algorithm.
    public let algorithm: Kind
    /// Its parameters (none for MD5 and SHA-256).
    public let parameters: [UInt8]

    /// Makes the attribute; throws `invalidArgument` if the parameters exceed 65 535 bytes.
    public init(_ algorithm: Kind, parameters: [UInt8] = []) throws(STUNError) {
        guard parameters.count <= 0xFFFF else {
            throw STUNError(.invalidArgument, field: "PASSWORD-ALGORITHM", "parameters too long")
        }
        self.algorithm = algorithm
        self.parameters = parameters
    }

    /// Decodes; throws `invalidAttribute` if the value is shorter than its parameters say.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        var r = ByteReader(value)
        guard let entry = try STUNPasswordAlgorithm.read(&r, field: "PASSWORD-ALGORITHM"), r.isAtEnd else {
            throw STUNError(.invalidAttribute, field: "PASSWORD-ALGORITHM", offset: r.offset, "bytes left over")
        }
        self = entry
    }

    /// Appends algorithm, parameter length, parameters and their padding.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt16(algorithm.rawValue)
        writer.writeUInt16(UInt16(truncatingIfNeeded: parameters.count))
        writer.writeBytes(parameters)
        writer.writeRepeating(0, count: STUNAttribute.padded(parameters.count) - parameters.count)
    }

    /// 4 bytes and the parameters padded to a multiple of 4.
    public var encodedValueSize: Int { 4 + STUNAttribute.padded(parameters.count) }

    /// Reads one entry, or nil at the end of the reader.
    static func read(_ r: inout ByteReader, field: String) throws(STUNError) -> STUNPasswordAlgorithm? {
        guard !r.isAtEnd else { return nil }
        do {
            let kind = Kind(rawValue: try r.readUInt16())
            let n = Int(try r.readUInt16())
            let parameters = try r.readBytes(n)
            try r.skip(min(STUNAttribute.padded(n) - n, r.remaining))
            return STUNPasswordAlgorithm(uncheckedKind: kind, parameters: parameters)
        } catch {
            throw STUNError(.invalidAttribute, field: field, offset: error.offset, error.description)
        }
    }

    private init(uncheckedKind: Kind, parameters: [UInt8]) {
        algorithm = uncheckedKind
        self.parameters = parameters
    }
}
