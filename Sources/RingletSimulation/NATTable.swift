import RingletCore

/// The translation state of one NAT: mappings keyed by internal endpoint (and destination, per the mapping
/// behaviour) and by external port. Expired mappings are removed lazily when looked up.
struct NATTable: Sendable {
    var configuration: NATConfiguration
    let publicIP: IPAddress

    private struct Key: Hashable, Sendable {
        var inside: TransportAddress
        var remoteIP: IPAddress?
        var remotePort: UInt16?
    }

    private struct Mapping: Sendable {
        var key: Key
        var externalPort: UInt16
        var expires: Instant
        var contactedIPs: Set<IPAddress> = []
        var contactedEndpoints: Set<TransportAddress> = []
    }

    private var portsByKey: [Key: UInt16] = [:]
    private var mappingsByPort: [UInt16: Mapping] = [:]

    init(publicIP: IPAddress, configuration: NATConfiguration) {
        self.publicIP = publicIP
        self.configuration = configuration
    }

    /// Number of live mappings at `now`.
    func liveMappingCount(at now: Instant) -> Int {
        mappingsByPort.values.reduce(0) { $0 + ($1.expires > now ? 1 : 0) }
    }

    /// Translates an outbound datagram's source; creates or refreshes its mapping. Nil when no port is free.
    mutating func outbound(from source: TransportAddress, to destination: TransportAddress, now: Instant,
                           random: inout SeededRandom) -> TransportAddress? {
        let key: Key
        switch configuration.mapping {
        case .endpointIndependent: key = Key(inside: source)
        case .addressDependent: key = Key(inside: source, remoteIP: destination.ip)
        case .addressAndPortDependent:
            key = Key(inside: source, remoteIP: destination.ip, remotePort: destination.port)
        }
        let expires = now + configuration.mappingLifetime
        var port: UInt16
        if let existing = portsByKey[key], let m = mappingsByPort[existing], m.expires > now {
            port = existing
        } else {
            if let stale = portsByKey[key] { remove(port: stale) }
            guard let fresh = allocatePort(preferring: source.port, now: now, random: &random) else { return nil }
            port = fresh
            portsByKey[key] = port
            mappingsByPort[port] = Mapping(key: key, externalPort: port, expires: expires)
        }
        mappingsByPort[port]?.expires = expires
        mappingsByPort[port]?.contactedIPs.insert(destination.ip)
        mappingsByPort[port]?.contactedEndpoints.insert(destination)
        return TransportAddress(publicIP, port)
    }

    /// The result of an inbound lookup.
    enum Inbound {
        case translated(TransportAddress)
        case refused(DropReason)
    }

    /// Translates an inbound datagram's destination to the internal endpoint, if a live mapping exists and its
    /// filter admits the source (RFC 4787 §5).
    mutating func inbound(from source: TransportAddress, toPort port: UInt16, now: Instant) -> Inbound {
        guard let m = mappingsByPort[port] else { return .refused(.noMapping) }
        guard m.expires > now else {
            remove(port: port)
            return .refused(.noMapping)
        }
        switch configuration.filtering {
        case .endpointIndependent: break
        case .addressDependent:
            guard m.contactedIPs.contains(source.ip) else { return .refused(.filtered) }
        case .addressAndPortDependent:
            guard m.contactedEndpoints.contains(source) else { return .refused(.filtered) }
        }
        return .translated(m.key.inside)
    }

    private mutating func remove(port: UInt16) {
        if let m = mappingsByPort.removeValue(forKey: port), portsByKey[m.key] == port {
            portsByKey.removeValue(forKey: m.key)
        }
    }

    /// True when `port` is free at `now` (purging an expired mapping that held it).
    private mutating func isFree(_ port: UInt16, now: Instant) -> Bool {
        guard let m = mappingsByPort[port] else { return true }
        if m.expires > now { return false }
        remove(port: port)
        return true
    }

    private mutating func allocatePort(preferring internalPort: UInt16, now: Instant,
                                       random: inout SeededRandom) -> UInt16? {
        let range = configuration.portRange
        if configuration.portAssignment == .preserving, range.contains(internalPort), isFree(internalPort, now: now) {
            return internalPort
        }
        for _ in 0..<64 {
            let candidate = UInt16.random(in: range, using: &random)
            if isFree(candidate, now: now) { return candidate }
        }
        // A crowded range: scan from a random start.
        let size = Int(range.upperBound) - Int(range.lowerBound) + 1
        let start = Int.random(in: 0..<size, using: &random)
        for i in 0..<size {
            let candidate = UInt16(truncatingIfNeeded: Int(range.lowerBound) + (start + i) % size)
            if isFree(candidate, now: now) { return candidate }
        }
        return nil
    }
}
