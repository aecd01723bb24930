import RingletCore

/// An IP network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or one address (`127.0.0.1` = `/32`): the
/// trusted reverse proxies of `--behind-proxy`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's first address (host bits cleared).
    public let address: IPAddress
    /// The prefix length, 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let ip = IPAddress(String(parts[0])) else { return nil }
        let bits = ip.family == .v4 ? 32 : 128
        var length = bits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ ("0"..."9").contains($0) }), let value = Int(parts[1]),
                  (0...bits).contains(value) else {
                return nil
            }
            length = value
        }
        self.prefixLength = length
        self.address = Self.masked(ip, length)
    }

    /// Whether `ip` is in this network. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as its IPv4
    /// address, as a dual-stack socket reports IPv4 peers that way.
    public func contains(_ ip: IPAddress) -> Bool {
        let candidate = ip.unmappedV4 ?? ip
        guard candidate.family == address.family else { return false }
        return Self.masked(candidate, prefixLength) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }

    static func masked(_ ip: IPAddress, _ length: Int) -> IPAddress {
        switch ip.family {
        case .v4:
            let value = ip.v4Value ?? 0
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return IPAddress(v4: value & mask)
        case .v6:
            let (high, low) = ip.halves
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return IPAddress(v6High: high & highMask, low: low & lowMask)
        }
    }
}

extension IPAddress {
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:0:0/96`), else nil.
    var unmappedV4: IPAddress? {
        guard family == .v6 else { return nil }
        let (high, low) = halves
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return IPAddress(v4: UInt32(truncatingIfNeeded: low))
    }
}
