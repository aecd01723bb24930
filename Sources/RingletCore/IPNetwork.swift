/// An IP network in CIDR form (`169.254.169.254/32`, `fd00:ec2::/64`) or one address (`127.0.0.1` = `/32`): the
/// denied peer networks of TURN, the trusted reverse proxies of `--behind-proxy`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The network's first address (bits past the prefix cleared).
    public let address: IPAddress
    /// The number of leading bits that must match: 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    /// A network; nil when the prefix is out of range for the family.
    public init?(_ address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= (address.family == .v4 ? 32 : 128) else { return nil }
        self.address = Self.masked(address, prefixLength)
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
        guard (1...3).contains(parts[1].utf8.count), parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let prefix = Int(parts[1]) else { return nil }
        self.init(address, prefixLength: prefix)
    }

    /// Whether `ip` is in this network (same family, same leading bits). An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`) counts as its IPv4 address, as a dual-stack socket reports IPv4 peers that way.
    /// Allocates nothing.
    public func contains(_ ip: IPAddress) -> Bool {
        let candidate = ip.unmappedV4 ?? ip
        guard candidate.family == address.family else { return false }
        return Self.masked(candidate, prefixLength) == address
    }

    static func masked(_ ip: IPAddress, _ length: Int) -> IPAddress {
        switch ip.family {
        case .v4:
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return IPAddress(v4: (ip.v4Value ?? 0) & mask)
        case .v6:
            let (high, low) = ip.halves
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return IPAddress(v6High: high & highMask, low: low & lowMask)
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:0:0/96`), else nil.
    public var unmappedV4: IPAddress? {
        guard family == .v6 else { return nil }
        let (high, low) = halves
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return IPAddress(v4: UInt32(truncatingIfNeeded: low))
    }
}
