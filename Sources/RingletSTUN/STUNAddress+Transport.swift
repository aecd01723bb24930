import RingletCore

extension STUNAddress {
    /// The STUN form of a transport address (for XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and the like).
    public init(_ address: TransportAddress) {
        switch address.ip.family {
        case .v4:
            self.init(ipv4: address.ip.v4Value ?? 0, port: address.port)
        case .v6:
            let b = address.ip.bytes
            let high = b[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = b[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(ipv6High: high, low: low, port: address.port)
        }
    }

    /// The transport address this STUN address names; nil for an unknown family.
    public var transportAddress: TransportAddress? {
        guard let ip = IPAddress(bytes: addressBytes) else { return nil }
        return TransportAddress(ip, port)
    }
}
