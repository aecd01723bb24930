/// An IP network in CIDR form (`169.254.169.254/32`, `fd00:ec2::/64`): an address and a prefix length.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The network's address (bits past the prefix are ignored).
    public let address: IPAddress
    /// The number of leading bits that must match: 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    /// A network; nil when the prefix is out of range for the family.
    public init?(_ address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= (address.family == .v4 ? 32 : 128) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX` (or a bare address: a host network); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let full = address.family == .v4 ? 32 : 128
        guard parts.count == 2 else {
            self.init(address, prefixLength: full)
            return
        }
        guard parts[1].utf8.count <= 3, let prefix = Int(parts[1]) else { return nil }
        self.init(address, prefixLength: prefix)
    }

    /// Whether `ip` is in this network (same family, same leading bits). Allocates nothing.
    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        let (nh, nl) = address.halves, (ih, il) = ip.halves
        if address.family == .v4 {
            guard prefixLength > 0 else { return true }
            let mask = UInt64(UInt32.max << UInt32(32 - prefixLength))
            return nl & mask == il & mask
        }
        func masked(_ value: UInt64, bits: Int) -> UInt64 {
            bits <= 0 ? 0 : bits >= 64 ? value : value & (UInt64.max << UInt64(64 - bits))
        }
        return masked(nh, bits: prefixLength) == masked(ih, bits: prefixLength)
            && masked(nl, bits: prefixLength - 64) == masked(il, bits: prefixLength - 64)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
