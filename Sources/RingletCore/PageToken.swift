/// A list position handed to clients as opaque text (the `nextCursor` of the API's lists): two 64-bit numbers
/// (a sort key and a row id), 16 bytes big-endian, in base64url without padding (22 characters).
///
/// Parsing takes untrusted text (a query parameter): anything but exactly that form is nil, never a trap.
public struct PageToken: Hashable, Sendable {
    /// The sort key (a time, Unix ms).
    public var key: Int64
    /// The row id that breaks ties.
    public var position: Int64

    public init(key: Int64, position: Int64) {
        self.key = key
        self.position = position
    }

    /// The token in `text`; nil unless it is 16 bytes of base64url.
    public init?(text: String) {
        guard text.utf8.count <= 32, let bytes = Base64URL.decode(text), bytes.count == 16 else { return nil }
        func int(_ at: Int) -> Int64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | Int64($1) } }
        self.init(key: int(0), position: int(8))
    }

    /// The token's text.
    public var text: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for value in [key, position] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
        }
        return Base64URL.encode(bytes)
    }
}
