import RingletCore

extension STUNAddress {
    /// The STUN form of a transport address (for XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and the like).
    public init(_ address: TransportAddress) {
        switch address.ip.family {
        case .v4:
            self.init(ipv4: address.ip.v4Value ?? 0, port: address.port)
        case .v6:
            let (high, low) = address.ip.halves
            self.init(ipv6High: high, low: low, port: address.port)
        }
    }

    /// The transport address this STUN address names; nil for an unknown family.
    /// Allocates nothing (it is on the relay path: every Send indication carries one).
    public var transportAddress: TransportAddress? {
        switch family {
        case .ipv4: return TransportAddress(IPAddress(v4: UInt32(truncatingIfNeeded: low)), port)
        case .ipv6: return TransportAddress(IPAddress(v6High: high, low: low), port)
        default: return nil
        }
    }
}
