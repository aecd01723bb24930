/// An address family code as STUN address attributes carry it (RFC 8489 §14.1): 0x01 IPv4, 0x02 IPv6.
public struct STUNAddressFamily: RawRepresentable, Hashable, Sendable {
    /// The family byte.
    public let rawValue: UInt8
    /// Makes a family from its byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// IPv4, 4-byte addresses.
    public static let ipv4 = STUNAddressFamily(rawValue: 0x01)
    /// IPv6, 16-byte addresses.
    public static let ipv6 = STUNAddressFamily(rawValue: 0x02)

    /// Bytes of an address of this family, or nil for an unknown family.
    public var addressSize: Int? {
        switch rawValue {
        case 0x01: 4
        case 0x02: 16
        default: nil
        }
    }
}
