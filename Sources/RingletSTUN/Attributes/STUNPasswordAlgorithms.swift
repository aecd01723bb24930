import RingletCore

/// PASSWORD-ALGORITHMS (RFC 8489 §14.11): the algorithms a server supports, in its order of preference.
public struct STUNPasswordAlgorithms: STUNAttributeValue, Hashable {
    /// PASSWORD-ALGORITHMS.
    public static let attributeType = STUNAttributeType.passwordAlgorithms
    /// The entries.
    public let algorithms: [STUNPasswordAlgorithm]
    /// Wraps a list.
    public init(_ algorithms: [STUNPasswordAlgorithm]) { self.algorithms = algorithms }
    /// Decodes; throws `invalidAttribute` if an entry is truncated.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        var r = ByteReader(value)
        var out: [STUNPasswordAlgorithm] = []
        while let entry = try STUNPasswordAlgorithm.read(&r, field: "PASSWORD-ALGORITHMS") { out.append(entry) }
        algorithms = out
    }
    /// Appends every entry.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        for a in algorithms { a.encodeValue(into: &writer, transactionID: transactionID) }
    }
    /// The entries' sizes summed.
    public var encodedValueSize: Int { algorithms.reduce(0) { $0 + $1.encodedValueSize } }
}
