import RingletCore

/// An RTP header extension (RFC 3550 §5.3.1), with the general mechanism of RFC 8285 for its elements.
///
/// The extension is kept as its profile and raw body, so a parsed packet re-encodes byte for byte (form and
/// padding included). ``elements`` decodes the one-byte (§4.2) and two-byte (§4.3) forms; other profiles are
/// kept raw.
///
/// ```
///  0                   1                   2                   3
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      defined by profile       |           length              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        header extension                       |
/// ```
public struct RTPHeaderExtension: Hashable, Sendable {
    /// The "defined by profile" value of the one-byte form (RFC 8285 §4.2).
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The two-byte form's profile values are 0x1000–0x100F; the low four bits are "appbits" (RFC 8285 §4.3).
    public static let twoByteProfileBase: UInt16 = 0x1000

    /// How the extension's elements are laid out.
    public enum Form: Hashable, Sendable {
        /// One-byte headers (RFC 8285 §4.2): ids 1–14, 1–16 bytes of data each.
        case oneByte
        /// Two-byte headers (RFC 8285 §4.3): ids 1–255, 0–255 bytes each; `appBits` is the profile's low nibble.
        case twoByte(appBits: UInt8)
        /// Any other profile (RFC 3550 §5.3.1), kept raw.
        case other(profile: UInt16)
    }

    /// One element of a one-byte or two-byte header extension (RFC 8285 §4).
    public struct Element: Hashable, Sendable {
        /// The local identifier negotiated in SDP (`a=extmap`).
        public let id: UInt8
        /// The element's data.
        public let data: ArraySlice<UInt8>

        /// Makes an element. Its id and length are checked when an extension is built from it.
        public init(id: UInt8, data: ArraySlice<UInt8>) {
            self.id = id
            self.data = data
        }

        /// Makes an element from a byte array.
        public init(id: UInt8, data: [UInt8]) {
            self.init(id: id, data: data[...])
        }
    }

    /// The "defined by profile" field.
    public let profile: UInt16
    /// The extension body (a multiple of 4 bytes), elements and padding included.
    public let data: ArraySlice<UInt8>

    /// The layout given by ``profile``.
    public var form: Form {
        if profile == Self.oneByteProfile { return .oneByte }
        if profile & 0xFFF0 == Self.twoByteProfileBase { return .twoByte(appBits: UInt8(profile & 0x0F)) }
        return .other(profile: profile)
    }

    /// Bytes this extension takes on the wire, its 4-byte header included.
    public var encodedSize: Int { 4 + data.count }

    /// Makes an extension from a profile and raw body. For the one- and two-byte forms the body is checked.
    ///
    /// - Throws: ``RTPError`` `.badLength` when the body is not a multiple of 4 bytes or exceeds 65 535 words;
    ///   `.badHeaderExtension` when an element overruns the body.
    public init(profile: UInt16, data: ArraySlice<UInt8>) throws(RTPError) {
        guard data.count % 4 == 0, data.count / 4 <= Int(UInt16.max) else {
            throw RTPError(.badLength, field: "RTP.extension", "body of \(data.count) bytes is not a whole number of words")
        }
        try Self.validate(profile: profile, data: data, offset: 0)
        self.profile = profile
        self.data = data
    }

    /// Makes an extension from elements, in the form given or, when `form` is nil, the smallest that fits: one-byte
    /// when every id is 1–14 and every element has 1–16 bytes, else two-byte. The body is zero-padded to a word.
    ///
    /// - Throws: ``RTPError`` `.invalidValue` when an element does not fit the form, or `form` is `.other`.
    public init(elements: [Element], form: Form? = nil) throws(RTPError) {
        let chosen: Form
        if let form {
            chosen = form
        } else {
            let fitsOneByte = elements.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.data.count) }
            chosen = fitsOneByte ? .oneByte : .twoByte(appBits: 0)
        }
        var body = [UInt8]()
        switch chosen {
        case .oneByte:
            for e in elements {
                guard (1...14).contains(e.id), (1...16).contains(e.data.count) else {
                    throw RTPError(.invalidValue, field: "RTP.extension.element",
                                   "id \(e.id) with \(e.data.count) bytes does not fit the one-byte form")
                }
                body.append(e.id << 4 | UInt8(e.data.count - 1))
                body.append(contentsOf: e.data)
            }
            profile = Self.oneByteProfile
        case .twoByte(let appBits):
            guard appBits <= 0x0F else {
                throw RTPError(.invalidValue, field: "RTP.extension.appBits", "appbits \(appBits) exceed 4 bits")
            }
            for e in elements {
                guard e.id >= 1, e.data.count <= 255 else {
                    throw RTPError(.invalidValue, field: "RTP.extension.element",
                                   "id \(e.id) with \(e.data.count) bytes does not fit the two-byte form")
                }
                body.append(e.id)
                body.append(UInt8(e.data.count))
                body.append(contentsOf: e.data)
            }
            profile = Self.twoByteProfileBase | UInt16(appBits)
        case .other:
            throw RTPError(.invalidValue, field: "RTP.extension", "elements need the one-byte or two-byte form")
        }
        while body.count % 4 != 0 { body.append(0) }
        guard body.count / 4 <= Int(UInt16.max) else {
            throw RTPError(.badLength, field: "RTP.extension", "body of \(body.count) bytes exceeds 65535 words")
        }
        data = body[...]
    }

    /// Internal: wraps a body already checked by the RTP parser.
    init(unchecked profile: UInt16, data: ArraySlice<UInt8>) {
        self.profile = profile
        self.data = data
    }

    /// The elements, in order (RFC 8285 §4); empty for profiles other than the one- and two-byte forms.
    /// Padding is skipped; in the one-byte form, parsing stops at id 15.
    public var elements: [Element] {
        var out = [Element]()
        Self.walk(profile: profile, data: data) { id, range in
            out.append(Element(id: id, data: data[range]))
            return true
        }
        return out
    }

    /// The data of the first element with `id`, without decoding the others into an array.
    public func element(id: UInt8) -> ArraySlice<UInt8>? {
        var found: Range<Int>?
        Self.walk(profile: profile, data: data) { elementID, range in
            if elementID == id {
                found = range
                return false
            }
            return true
        }
        return found.map { data[$0] }
    }

    /// Appends the extension (header and body) to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeUInt16(profile)
        writer.writeUInt16(UInt16(truncatingIfNeeded: data.count / 4))
        writer.writeBytes(data)
    }

    /// Checks that the elements of a one- or two-byte body lie inside it.
    static func validate(profile: UInt16, data: ArraySlice<UInt8>, offset: Int) throws(RTPError) {
        if let bad = walk(profile: profile, data: data, visit: { _, _ in true }) {
            throw RTPError(.badHeaderExtension, field: "RTP.extension.element", offset: offset + bad,
                           "element overruns the extension body")
        }
    }

    /// Visits each element's id and index range until `visit` returns false. Returns the body-relative offset of
    /// an element that overruns the body, if any (elements before it have been visited).
    @discardableResult
    private static func walk(profile: UInt16, data: ArraySlice<UInt8>,
                             visit: (UInt8, Range<Int>) -> Bool) -> Int? {
        let start = data.startIndex
        let end = data.endIndex
        var i = start
        if profile == oneByteProfile {
            while i < end {
                let b = data[i]
                if b == 0 || b >> 4 == 0 { i += 1; continue }
                let id = b >> 4
                if id == 15 { return nil }
                let length = Int(b & 0x0F) + 1
                guard end - (i + 1) >= length else { return i - start }
                if !visit(id, (i + 1)..<(i + 1 + length)) { return nil }
                i += 1 + length
            }
        } else if profile & 0xFFF0 == twoByteProfileBase {
            while i < end {
                let id = data[i]
                if id == 0 { i += 1; continue }
                guard end - i >= 2 else { return i - start }
                let length = Int(data[i + 1])
                guard end - (i + 2) >= length else { return i - start }
                if !visit(id, (i + 2)..<(i + 2 + length)) { return nil }
                i += 2 + length
            }
        }
        return nil
    }
}
