import RingletCore

/// Decodes UTF-8 text of at most `maxBytes` bytes and fewer than `maxCharacters` characters.
func decodeText(_ value: ArraySlice<UInt8>, maxBytes: Int, maxCharacters: Int?, field: STUNAttributeType)
    throws(STUNError) -> String
{
    guard value.count <= maxBytes else {
        throw STUNError(.invalidAttribute, field: field.description, "\(value.count) bytes, limit \(maxBytes)")
    }
    guard let s = String(validating: value, as: UTF8.self) else {
        throw STUNError(.invalidAttribute, field: field.description, "not valid UTF-8")
    }
    if let maxCharacters, s.count >= maxCharacters {
        throw STUNError(.invalidAttribute, field: field.description, "\(s.count) characters, limit \(maxCharacters - 1)")
    }
    return s
}

/// Validates text for an initializer (same limits as decoding).
func checkText(_ s: String, maxBytes: Int, maxCharacters: Int?, field: STUNAttributeType) throws(STUNError) {
    guard s.utf8.count <= maxBytes, maxCharacters.map({ s.count < $0 }) ?? true else {
        throw STUNError(.invalidArgument, field: field.description, "text too long")
    }
}

/// USERNAME (RFC 8489 §14.3): UTF-8, fewer than 513 bytes.
public struct STUNUsername: STUNAttributeValue, Hashable {
    /// USERNAME.
    public static let attributeType = STUNAttributeType.username
    /// The user name (already processed with OpaqueString by the sender).
    public let value: String
    /// Makes the attribute; throws `invalidArgument` past 512 bytes.
    public init(_ value: String) throws(STUNError) {
        try checkText(value, maxBytes: 512, maxCharacters: nil, field: Self.attributeType)
        self.value = value
    }
    /// Decodes; throws `invalidAttribute` if not UTF-8 or too long.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.value = try decodeText(value, maxBytes: 512, maxCharacters: nil, field: Self.attributeType)
    }
    /// Appends the UTF-8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(value.utf8)
    }
}

/// REALM (RFC 8489 §14.9): fewer than 128 characters, at most 763 bytes.
public struct STUNRealm: STUNAttributeValue, Hashable {
    /// REALM.
    public static let attributeType = STUNAttributeType.realm
    /// The realm.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try checkText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
        self.value = value
    }
    /// Decodes; throws `invalidAttribute` if not UTF-8 or too long.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.value = try decodeText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
    }
    /// Appends the UTF-8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(value.utf8)
    }
}

/// NONCE (RFC 8489 §14.10): fewer than 128 characters, at most 763 bytes.
public struct STUNNonce: STUNAttributeValue, Hashable {
    /// NONCE.
    public static let attributeType = STUNAttributeType.nonce
    /// The nonce.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try checkText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
        self.value = value
    }
    /// Decodes; throws `invalidAttribute` if not UTF-8 or too long.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.value = try decodeText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
    }
    /// Appends the UTF-8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(value.utf8)
    }
}

/// SOFTWARE (RFC 8489 §14.14): fewer than 128 characters, at most 763 bytes.
public struct STUNSoftware: STUNAttributeValue, Hashable {
    /// SOFTWARE.
    public static let attributeType = STUNAttributeType.software
    /// The software description.
    public let value: String
    /// Makes the attribute; throws `invalidArgument` if too long.
    public init(_ value: String) throws(STUNError) {
        try checkText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
        self.value = value
    }
    /// Decodes; throws `invalidAttribute` if not UTF-8 or too long.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        self.value = try decodeText(value, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
    }
    /// Appends the UTF-8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(value.utf8)
    }
}

/// ERROR-CODE (RFC 8489 §14.8): a code 300–699 split into class (hundreds) and number, plus a reason phrase.
///
/// ```
/// |           Reserved, should be 0         |Class|     Number    |
/// |      Reason Phrase (variable)                                ..
/// ```
public struct STUNErrorCode: STUNAttributeValue, Hashable {
    /// ERROR-CODE.
    public static let attributeType = STUNAttributeType.errorCode
    /// The code, class × 100 + number.
    public let code: Int
    /// The reason phrase.
    public let reason: String

    /// Makes the attribute; throws `invalidArgument` unless 300 ≤ code ≤ 699 and the reason is short enough.
    public init(code: Int, reason: String = "") throws(STUNError) {
        guard (300...699).contains(code) else {
            throw STUNError(.invalidArgument, field: "ERROR-CODE", "code \(code) outside 300–699")
        }
        try checkText(reason, maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
        self.code = code
        self.reason = reason
    }

    /// Decodes; throws `invalidAttribute` if shorter than 4 bytes, class not 3–6, number over 99, or a bad reason.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        guard value.count >= 4 else {
            throw STUNError(.invalidAttribute, field: "ERROR-CODE", "\(value.count) bytes, at least 4 needed")
        }
        let s = value.startIndex
        let cls = Int(value[s + 2] & 0x07)
        let number = Int(value[s + 3])
        guard (3...6).contains(cls) else {
            throw STUNError(.invalidAttribute, field: "ERROR-CODE", offset: 2, "class \(cls) outside 3–6")
        }
        guard number < 100 else {
            throw STUNError(.invalidAttribute, field: "ERROR-CODE", offset: 3, "number \(number) over 99")
        }
        code = cls * 100 + number
        do {
            reason = try decodeText(value[(s + 4)...], maxBytes: 763, maxCharacters: 128, field: Self.attributeType)
        } catch {
            throw error.shifted(by: 4)
        }
    }

    /// Appends reserved bits, class, number and reason.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeUInt16(0)
        writer.writeUInt8(UInt8(truncatingIfNeeded: code / 100))
        writer.writeUInt8(UInt8(truncatingIfNeeded: code % 100))
        writer.writeBytes(reason.utf8)
    }

    /// 300 Try Alternate.
    public static let tryAlternate = 300
    /// 400 Bad Request.
    public static let badRequest = 400
    /// 401 Unauthenticated.
    public static let unauthenticated = 401
    /// 403 Forbidden (RFC 8656).
    public static let forbidden = 403
    /// 420 Unknown Attribute.
    public static let unknownAttribute = 420
    /// 437 Allocation Mismatch (RFC 8656).
    public static let allocationMismatch = 437
    /// 438 Stale Nonce.
    public static let staleNonce = 438
    /// 440 Address Family not Supported (RFC 8656).
    public static let addressFamilyNotSupported = 440
    /// 441 Wrong Credentials (RFC 8656).
    public static let wrongCredentials = 441
    /// 442 Unsupported Transport Protocol (RFC 8656).
    public static let unsupportedTransportProtocol = 442
    /// 443 Peer Address Family Mismatch (RFC 8656).
    public static let peerAddressFamilyMismatch = 443
    /// 486 Allocation Quota Reached (RFC 8656).
    public static let allocationQuotaReached = 486
    /// 487 Role Conflict (RFC 8445).
    public static let roleConflict = 487
    /// 500 Server Error.
    public static let serverError = 500
    /// 508 Insufficient Capacity (RFC 8656).
    public static let insufficientCapacity = 508
}

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the comprehension-required types a request carried that the server
/// did not understand, 16 bits each.
public struct STUNUnknownAttributes: STUNAttributeValue, Hashable {
    /// UNKNOWN-ATTRIBUTES.
    public static let attributeType = STUNAttributeType.unknownAttributes
    /// The types.
    public let types: [STUNAttributeType]
    /// Makes the attribute; throws `invalidArgument` for more than 32 767 types.
    public init(_ types: [STUNAttributeType]) throws(STUNError) {
        guard types.count <= 0x7FFF else {
            throw STUNError(.invalidArgument, field: "UNKNOWN-ATTRIBUTES", "\(types.count) types")
        }
        self.types = types
    }
    /// Decodes; throws `invalidAttribute` if the length is odd.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        guard value.count & 1 == 0 else {
            throw STUNError(.invalidAttribute, field: "UNKNOWN-ATTRIBUTES", "odd length \(value.count)")
        }
        var out: [STUNAttributeType] = []
        out.reserveCapacity(value.count / 2)
        var i = value.startIndex
        while i + 1 < value.endIndex {
            out.append(STUNAttributeType(rawValue: UInt16(value[i]) << 8 | UInt16(value[i + 1])))
            i += 2
        }
        types = out
    }
    /// Appends the 16-bit types.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        for t in types { writer.writeUInt16(t.rawValue) }
    }
}

/// USERHASH (RFC 8489 §14.4): SHA-256 of `username ":" realm`, 32 bytes, sent instead of USERNAME.
public struct STUNUserHash: STUNAttributeValue, Hashable {
    /// USERHASH.
    public static let attributeType = STUNAttributeType.userHash
    /// The 32-byte hash.
    public let hash: [UInt8]
    /// Wraps a hash; throws `invalidArgument` unless it is 32 bytes.
    public init(hash: [UInt8]) throws(STUNError) {
        guard hash.count == 32 else {
            throw STUNError(.invalidArgument, field: "USERHASH", "\(hash.count) bytes, not 32")
        }
        self.hash = hash
    }
    /// Computes SHA-256(username ":" realm) (RFC 8489 §14.4; both already OpaqueString-processed).
    public init(username: String, realm: String) throws(STUNError) {
        self.hash = try STUNIntegrityKey.digest(Array(username.utf8) + [0x3A] + Array(realm.utf8), sha256: true)
    }
    /// Decodes; throws `invalidAttribute` unless 32 bytes.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        guard value.count == 32 else {
            throw STUNError(.invalidAttribute, field: "USERHASH", "\(value.count) bytes, not 32")
        }
        hash = Array(value)
    }
    /// Appends the hash.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(hash)
    }
}

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
}
