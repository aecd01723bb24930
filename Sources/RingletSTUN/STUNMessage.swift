import RingletCore

/// A STUN message (RFC 8489 §5, compatible with RFC 5389): a 20-byte header and a list of attributes.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Transaction ID (96 bits)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Parsing validates the framing once and keeps the message bytes (a slice, no copy); attributes are read from
/// them on demand, so decoding allocates nothing. All attributes are kept in order, unknown ones included.
/// Lookups (``attribute(_:)``, ``firstAttribute(_:)``) follow RFC 8489 §14.5–14.7: attributes after
/// MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, after MESSAGE-INTEGRITY-SHA256 other
/// than FINGERPRINT, and anything after FINGERPRINT, are ignored.
///
/// Padding: receivers ignore pad contents (RFC 5769 pads with 0x20); ``encode(into:)`` always writes zero
/// padding. Equality compares type, transaction ID and the attributes' types and values, never padding.
public struct STUNMessage: Sendable, Equatable, CustomStringConvertible {
    /// The magic cookie, 0x2112A442 (RFC 8489 §5).
    public static let magicCookie: UInt32 = 0x2112_A442
    /// Size of the header.
    public static let headerSize = 20

    /// Method and class.
    public let type: STUNMessageType
    /// The transaction ID.
    public let transactionID: STUNTransactionID
    /// The whole message as parsed or built, header included (pads as received).
    public let bytes: ArraySlice<UInt8>
    /// How many attributes the message holds (including ignored ones).
    public let attributeCount: Int
    /// Offset from the message start of the MESSAGE-INTEGRITY attribute header, or -1.
    let integrityOffset: Int
    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, or -1.
    let integritySHA256Offset: Int
    /// Offset of the FINGERPRINT attribute header, or -1.
    let fingerprintOffset: Int

    // MARK: Parsing

    /// Parses one whole STUN message; `bytes` must hold exactly the message (20 + length bytes).
    ///
    /// Checks (RFC 8489 §5, §14): the top two bits are zero, the magic cookie, the length is a multiple of 4 and
    /// matches the bytes, every attribute and its padding fit, MESSAGE-INTEGRITY is 20 bytes,
    /// MESSAGE-INTEGRITY-SHA256 is 16–32 bytes in steps of 4, FINGERPRINT is 4 bytes.
    /// - Throws: `STUNError` with code `truncated`, `notSTUN`, `badMagicCookie`, `badLength`,
    ///   `attributeOverrun` or `invalidAttribute`, and the offset.
    public init(parsing bytes: ArraySlice<UInt8>) throws(STUNError) {
        let s = bytes.startIndex
        guard bytes.count >= 20 else {
            throw STUNError(.truncated, field: "header", offset: 0, "\(bytes.count) bytes, header needs 20")
        }
        let typeField = UInt16(bytes[s]) << 8 | UInt16(bytes[s + 1])
        guard let type = STUNMessageType(rawValue: typeField) else {
            throw STUNError(.notSTUN, field: "header.type", offset: 0, "top two bits are not zero")
        }
        let length = Int(bytes[s + 2]) << 8 | Int(bytes[s + 3])
        let cookie = UInt32(bytes[s + 4]) << 24 | UInt32(bytes[s + 5]) << 16
            | UInt32(bytes[s + 6]) << 8 | UInt32(bytes[s + 7])
        guard cookie == STUNMessage.magicCookie else {
            throw STUNError(.badMagicCookie, field: "header.cookie", offset: 4, "0x\(String(cookie, radix: 16))")
        }
        guard length & 3 == 0 else {
            throw STUNError(.badLength, field: "header.length", offset: 2, "\(length) is not a multiple of 4")
        }
        guard bytes.count == 20 + length else {
            throw STUNError(.badLength, field: "header.length", offset: 2,
                            "length \(length) but \(bytes.count - 20) bytes follow the header")
        }
        var high: UInt32 = 0
        for i in 8..<12 { high = high << 8 | UInt32(bytes[s + i]) }
        var low: UInt64 = 0
        for i in 12..<20 { low = low << 8 | UInt64(bytes[s + i]) }

        var mi = -1, miSHA = -1, fp = -1, count = 0
        var at = 20
        let end = 20 + length
        while at < end {
            guard end - at >= 4 else {
                throw STUNError(.truncated, field: "attribute", offset: at, "attribute header needs 4 bytes")
            }
            let t = UInt16(bytes[s + at]) << 8 | UInt16(bytes[s + at + 1])
            let n = Int(bytes[s + at + 2]) << 8 | Int(bytes[s + at + 3])
            let total = 4 + STUNAttribute.padded(n)
            guard total <= end - at else {
                throw STUNError(.attributeOverrun, field: STUNAttributeType(rawValue: t).description, offset: at,
                                "value of \(n) bytes (padded) overruns the message")
            }
            switch t {
            case 0x0008:
                guard n == 20 else {
                    throw STUNError(.invalidAttribute, field: "MESSAGE-INTEGRITY", offset: at, "length \(n), not 20")
                }
                if mi < 0, miSHA < 0, fp < 0 { mi = at }
            case 0x001C:
                guard n >= 16, n <= 32, n & 3 == 0 else {
                    throw STUNError(.invalidAttribute, field: "MESSAGE-INTEGRITY-SHA256", offset: at,
                                    "length \(n), not 16–32 in steps of 4")
                }
                if miSHA < 0, fp < 0 { miSHA = at }
            case 0x8028:
                guard n == 4 else {
                    throw STUNError(.invalidAttribute, field: "FINGERPRINT", offset: at, "length \(n), not 4")
                }
                if fp < 0 { fp = at }
            default:
                break
            }
            count &+= 1
            at &+= total
        }
        self.type = type
        self.transactionID = STUNTransactionID(high: high, low: low)
        self.bytes = bytes
        self.attributeCount = count
        self.integrityOffset = mi
        self.integritySHA256Offset = miSHA
        self.fingerprintOffset = fp
    }

    /// Parses one whole STUN message from an array. See ``init(parsing:)-(ArraySlice<UInt8>)``.
    public init(parsing bytes: [UInt8]) throws(STUNError) {
        try self.init(parsing: bytes[...])
    }

    /// Builds a message from its parts; the attributes are encoded with zero padding, in order.
    /// - Throws: `tooLarge` if the attributes exceed 65 535 bytes; `invalidAttribute` if an integrity or
    ///   fingerprint attribute given here has the wrong length.
    public init(type: STUNMessageType, transactionID: STUNTransactionID, attributes: [STUNAttribute] = [])
        throws(STUNError)
    {
        var size = 0
        for a in attributes { size &+= a.encodedSize }
        guard size <= 0xFFFF else {
            throw STUNError(.tooLarge, field: "attributes", "\(size) bytes of attributes exceed 65535")
        }
        var w = ByteWriter(capacity: 20 + size)
        STUNMessage.writeHeader(into: &w, type: type, length: size, transactionID: transactionID)
        for a in attributes { a.encode(into: &w) }
        try self.init(parsing: w.bytes[...])
    }

    /// A cheap test for demultiplexing: first two bits zero, magic cookie present, length a multiple of 4 that
    /// matches the datagram (RFC 8489 §5, RFC 7983). Never traps.
    public static func looksLikeSTUN(_ datagram: ArraySlice<UInt8>) -> Bool {
        let s = datagram.startIndex
        guard datagram.count >= 20, datagram[s] & 0xC0 == 0 else { return false }
        let length = Int(datagram[s + 2]) << 8 | Int(datagram[s + 3])
        return length & 3 == 0 && datagram.count == 20 + length
            && datagram[s + 4] == 0x21 && datagram[s + 5] == 0x12 && datagram[s + 6] == 0xA4 && datagram[s + 7] == 0x42
    }

    /// A cheap test for demultiplexing; see ``looksLikeSTUN(_:)-(ArraySlice<UInt8>)``.
    public static func looksLikeSTUN(_ datagram: [UInt8]) -> Bool { looksLikeSTUN(datagram[...]) }

    // MARK: Encoding

    /// Bytes ``encode(into:)`` writes: 20 plus each attribute's header, value and padding.
    public var encodedSize: Int { bytes.count }

    /// Appends the message with zero padding (RFC 8489 §14). For a message whose padding was zero, the output
    /// equals ``bytes``.
    public func encode(into writer: inout ByteWriter) {
        STUNMessage.writeHeader(into: &writer, type: type, length: bytes.count - 20, transactionID: transactionID)
        for a in attributes { a.encode(into: &writer) }
    }

    /// The message encoded with zero padding, as a new array.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: encodedSize)
        encode(into: &w)
        return w.bytes
    }

    static func writeHeader(into w: inout ByteWriter, type: STUNMessageType, length: Int,
                            transactionID: STUNTransactionID)
    {
        w.writeUInt16(type.rawValue)
        w.writeUInt16(UInt16(truncatingIfNeeded: length))
        w.writeUInt32(magicCookie)
        transactionID.write(into: &w)
    }

    // MARK: Attributes

    /// Every attribute in order, unknown and ignored ones included.
    public var attributes: Attributes { Attributes(bytes: bytes) }

    /// The first attribute of `type` that RFC 8489 §14.5–14.7 lets a receiver use (see the type's doc), or nil.
    public func firstAttribute(_ type: STUNAttributeType) -> STUNAttribute? {
        var state = 0 // 0 normal, 1 after MI, 2 after MI-SHA256, 3 after FINGERPRINT
        for a in attributes {
            let usable: Bool
            switch (state, a.type) {
            case (3, _): return nil
            case (_, .fingerprint): usable = true; state = 3
            case (0, .messageIntegrity): usable = true; state = 1
            case (0, .messageIntegritySHA256), (1, .messageIntegritySHA256): usable = true; state = 2
            case (0, _): usable = true
            default: usable = false
            }
            if usable, a.type == type { return a }
        }
        return nil
    }

    /// Decodes the first usable attribute of type `T.attributeType`, or nil if there is none.
    /// - Throws: `invalidAttribute` (offset within the message) if its value is malformed.
    public func attribute<T: STUNAttributeValue>(_: T.Type) throws(STUNError) -> T? {
        guard let a = firstAttribute(T.attributeType) else { return nil }
        do {
            return try T(attributeValue: a.value, transactionID: transactionID)
        } catch {
            throw error.shifted(by: a.value.startIndex - bytes.startIndex)
        }
    }

    /// Comprehension-required attribute types in the message that are not in `known` (RFC 8489 §6.3.1: a
    /// request with any gets a 420 with UNKNOWN-ATTRIBUTES).
    public func unknownComprehensionRequired(known: Set<STUNAttributeType>) -> [STUNAttributeType] {
        var out: [STUNAttributeType] = []
        for a in attributes where a.type.isComprehensionRequired && !known.contains(a.type) && !out.contains(a.type) {
            out.append(a.type)
        }
        return out
    }

    /// The attributes of a message, walked from its bytes.
    public struct Attributes: Sequence, Sendable {
        let bytes: ArraySlice<UInt8>

        /// Iterates attributes in order.
        public func makeIterator() -> Iterator { Iterator(bytes: bytes, at: bytes.startIndex + 20) }

        /// An iterator over attributes.
        public struct Iterator: IteratorProtocol, Sendable {
            let bytes: ArraySlice<UInt8>
            var at: Int

            /// The next attribute, or nil at the end.
            public mutating func next() -> STUNAttribute? {
                // The framing was validated when parsing; the guards only keep this total.
                guard bytes.endIndex - at >= 4 else { return nil }
                let t = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
                let n = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                guard bytes.endIndex - at - 4 >= n else { return nil }
                let value = bytes[(at + 4)..<(at + 4 + n)]
                at = Swift.min(bytes.endIndex, at + 4 + STUNAttribute.padded(n))
                return STUNAttribute(unchecked: STUNAttributeType(rawValue: t), value: value)
            }
        }
    }

    /// Type, transaction ID and attributes (types and values) are equal; padding is not compared.
    public static func == (a: STUNMessage, b: STUNMessage) -> Bool {
        guard a.type == b.type, a.transactionID == b.transactionID, a.attributeCount == b.attributeCount else {
            return false
        }
        return a.attributes.elementsEqual(b.attributes)
    }

    /// "Binding request b7e7… [SOFTWARE(16), USERNAME(9), …]".
    public var description: String {
        let list = attributes.map { "\($0.type)(\($0.value.count))" }.joined(separator: ", ")
        return "\(type) \(transactionID) [\(list)]"
    }
}
