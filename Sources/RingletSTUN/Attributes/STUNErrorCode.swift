import RingletCore

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
        try STUNText.check(reason, maxBytes: STUNText.phraseMaxBytes, maxCharacters: STUNText.phraseMaxCharacters,
                           field: Self.attributeType)
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
            reason = try STUNText.decode(value[(s + 4)...], maxBytes: STUNText.phraseMaxBytes,
                                         maxCharacters: STUNText.phraseMaxCharacters, field: Self.attributeType)
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

    /// 4 bytes and the reason's UTF-8.
    public var encodedValueSize: Int { 4 + reason.utf8.count }

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
