import RingletCore

/// An attribute whose value is UTF-8 text within the RFC's limits: USERNAME (RFC 8489 §14.3), REALM (§14.9),
/// NONCE (§14.10) and SOFTWARE (§14.14).
///
/// A conforming type states its limits, keeps the text, and checks it in `init(_:)` with `checkText(_:)`;
/// decoding (valid UTF-8 within the limits, else `invalidAttribute`), encoding (the UTF-8 bytes, no terminator)
/// and the value size come from this protocol. The text is taken as it is: OpaqueString/SASLprep (RFC 8265) is
/// the caller's part.
public protocol STUNTextAttribute: STUNAttributeValue {
    /// The most UTF-8 bytes the value may have (763 unless stated).
    static var maxBytes: Int { get }
    /// The most characters (extended grapheme clusters) the value may have (127 unless stated), or nil when only
    /// bytes are limited.
    static var maxCharacters: Int? { get }
    /// The text.
    var value: String { get }
    /// Makes the attribute; throws `invalidArgument` if the text exceeds ``maxBytes`` or ``maxCharacters``.
    init(_ value: String) throws(STUNError)
}

extension STUNTextAttribute {
    /// 763 bytes, the limit of REALM, NONCE, SOFTWARE and the reason phrase ("fewer than 128 characters (which can
    /// be as long as 763 bytes)"), unless the type states another.
    public static var maxBytes: Int { STUNText.phraseMaxBytes }

    /// 127 characters ("fewer than 128"), unless the type states another limit or none (nil).
    public static var maxCharacters: Int? { STUNText.phraseMaxCharacters }

    /// Throws `invalidArgument` if `text` exceeds ``maxBytes`` or ``maxCharacters``; what `init(_:)` calls.
    static func checkText(_ text: String) throws(STUNError) {
        try STUNText.check(text, maxBytes: maxBytes, maxCharacters: maxCharacters, field: attributeType)
    }

    /// Decodes; throws `invalidAttribute` if the value is not UTF-8 or exceeds the limits.
    public init(attributeValue value: ArraySlice<UInt8>, transactionID: STUNTransactionID) throws(STUNError) {
        try self.init(STUNText.decode(value, maxBytes: Self.maxBytes, maxCharacters: Self.maxCharacters,
                                      field: Self.attributeType))
    }

    /// Appends the UTF-8 bytes.
    public func encodeValue(into writer: inout ByteWriter, transactionID: STUNTransactionID) {
        writer.writeBytes(value.utf8)
    }

    /// The UTF-8 byte count.
    public var encodedValueSize: Int { value.utf8.count }
}
