import RingletCore

/// Identifies a host of a `SimulatedNetwork`.
public struct HostID: Hashable, Sendable, Comparable {
    /// The index the network gave it (0, 1, 2, … in order of `addHost`).
    public let rawValue: Int
    /// Orders by creation.
    public static func < (lhs: HostID, rhs: HostID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Identifies a NAT of a `SimulatedNetwork`.
public struct NATID: Hashable, Sendable {
    /// The index the network gave it (0, 1, 2, … in order of `addNAT`).
    public let rawValue: Int
}

/// A datagram the network hands to a host.
public struct Delivery: Hashable, Sendable {
    /// When it arrived.
    public let time: Instant
    /// The receiving host.
    public let host: HostID
    /// The datagram as the host sees it (source translated by any NAT on the way; destination one of the host's
    /// addresses).
    public let datagram: Datagram
}

/// A deterministic simulated IP network carrying UDP datagrams between hosts, through links with delay, jitter,
/// loss, reordering, duplication and bandwidth limits, and through NATs (RFC 4787 behaviours).
///
/// **Topology.** The network is a tree of *realms* (address spaces). The root realm is the internet. Each NAT has
/// a public address in an outer realm (the internet, or another NAT's inside for carrier-grade NAT) and creates
/// its own private inner realm. A host has one or more interfaces, each an IP address in one realm with its own
/// link; addresses are unique within a realm only, so two homes can both use 192.168.1.2. Routing in a realm:
/// a host interface with the destination address gets it (over that interface's downstream link); else a NAT whose
/// public address it is translates it inbound; else, in a private realm, it goes out through the realm's NAT; else
/// it is dropped (`noRoute`). Ports are not allocated: a host may send from any port of its addresses.
///
/// **Time.** Nothing happens on its own. `send(_:from:now:)` puts a datagram on the sender's link; every hop (link
/// exit, NAT, next link) is an event at a simulated instant. `nextDeliveryTime()` is the earliest pending event
/// and `deliver(upTo:)` runs every event due by then, returning what reached hosts, in time order. NAT state is
/// consulted when the datagram reaches the NAT, not when it was sent, so hole punching races behave like real ones.
///
/// **Determinism.** Every random draw (link impairments, NAT ports) comes from generators seeded by `seed`; events
/// at the same instant run in the order they were scheduled. The same seed and the same calls give the same
/// deliveries, bit for bit (compare `trace.digest`).
///
/// **Cuts.** `cutPath(between:and:)` blocks every datagram whose source and destination IPs are that pair (either
/// way) at any hop; `cut(host:)` blocks everything a host sends or would receive. Datagrams already in flight are
/// dropped when they meet the cut. `restore…` lifts them.
public struct SimulatedNetwork: Sendable {
    struct Interface: Sendable {
        let address: IPAddress
        let realm: Int
        var upstream: LinkDirection
        var downstream: LinkDirection
    }

    struct Host: Sendable {
        let name: String
        var interfaces: [Interface]
        var isCut = false
    }

    struct NAT: Sendable {
        var table: NATTable
        let innerRealm: Int
        let outerRealm: Int
        var upstream: LinkDirection
        var downstream: LinkDirection
    }

    struct Realm: Sendable {
        /// The NAT this realm sits behind; nil for the internet.
        let nat: Int?
        var interfaces: [IPAddress: InterfaceRef] = [:]
        var natsByPublicIP: [IPAddress: Int] = [:]
    }

    struct InterfaceRef: Hashable, Sendable {
        let host: Int
        let index: Int
    }

    struct IPPair: Hashable, Sendable {
        let a: IPAddress
        let b: IPAddress
    }

    enum Stage: Sendable {
        /// The datagram arrives in a realm and is routed there.
        case route(realm: Int)
        /// The datagram reaches a host interface.
        case deliver(InterfaceRef)
    }

    struct InFlight: Sendable {
        var stage: Stage
        var datagram: Datagram
    }

    var hosts: [Host] = []
    var nats: [NAT] = []
    var realms: [Realm] = [Realm(nat: nil)]
    var cutPairs: Set<IPPair> = []
    var events = EventQueue<InFlight>()
    var linkRandom: SeededRandom
    var natRandom: SeededRandom

    /// The seed the network was made with.
    public let seed: UInt64
    /// Whether to record `trace`. Default false (tracing costs memory for long runs).
    public var isTracing = false
    /// Every delivery and drop since tracing was turned on, in order.
    public internal(set) var trace: [NetworkTraceEntry] = []
    /// Counters of what the network did.
    public internal(set) var statistics = NetworkStatistics()

    /// Makes an empty network (just the internet realm) whose randomness comes from `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        linkRandom = SeededRandom(seed: seed)
        natRandom = SeededRandom(seed: seed ^ 0x5EED_0F_4A7_4787)
    }

    // MARK: Topology

    /// Adds a NAT with public address `publicIP` in the internet, or behind another NAT (`behind`), and returns
    /// its identifier; hosts placed `behind:` it live in its new private realm.
    ///
    /// - Parameter link: the NAT's attachment to its outer realm (`upstream` is inside → outside).
    /// - Throws: `duplicateAddress` if `publicIP` is taken in the outer realm, `unknownIdentifier` for an unknown
    ///   `behind`, `invalidConfiguration` for bad settings.
    @discardableResult
    public mutating func addNAT(publicIP: IPAddress, configuration: NATConfiguration, behind: NATID? = nil,
                                link: LinkConfiguration = .perfect) throws(SimulationError) -> NATID {
        try configuration.validate()
        try link.validate()
        let outer = try realm(behind: behind)
        try checkFree(publicIP, in: outer)
        let id = nats.count
        let inner = realms.count
        realms.append(Realm(nat: id))
        realms[outer].natsByPublicIP[publicIP] = id
        nats.append(NAT(table: NATTable(publicIP: publicIP, configuration: configuration), innerRealm: inner,
                        outerRealm: outer, upstream: LinkDirection(link.upstream),
                        downstream: LinkDirection(link.downstream)))
        return NATID(rawValue: id)
    }

    /// Adds a host named `name` with one interface at `address`, in the internet or behind a NAT.
    ///
    /// - Throws: `duplicateName`, `duplicateAddress` (taken in that realm), `unknownIdentifier`,
    ///   `invalidConfiguration`.
    @discardableResult
    public mutating func addHost(_ name: String, address: IPAddress, behind: NATID? = nil,
                                 link: LinkConfiguration = .perfect) throws(SimulationError) -> HostID {
        guard host(named: name) == nil else {
            throw SimulationError(.duplicateName, field: "addHost.name", "a host is already named \(name)")
        }
        hosts.append(Host(name: name, interfaces: []))
        let id = HostID(rawValue: hosts.count - 1)
        do {
            try addInterface(to: id, address: address, behind: behind, link: link)
        } catch {
            hosts.removeLast()
            throw error
        }
        return id
    }

    /// Gives `host` another interface (multi-homing, or an IPv6 address next to an IPv4 one).
    ///
    /// - Throws: `duplicateAddress`, `unknownIdentifier`, `invalidConfiguration`.
    public mutating func addInterface(to host: HostID, address: IPAddress, behind: NATID? = nil,
                                      link: LinkConfiguration = .perfect) throws(SimulationError) {
        try checkHost(host)
        try link.validate()
        let realm = try realm(behind: behind)
        try checkFree(address, in: realm)
        realms[realm].interfaces[address] = InterfaceRef(host: host.rawValue, index: hosts[host.rawValue].interfaces.count)
        hosts[host.rawValue].interfaces.append(Interface(address: address, realm: realm,
                                                         upstream: LinkDirection(link.upstream),
                                                         downstream: LinkDirection(link.downstream)))
    }

    /// The host named `name`, if any.
    public func host(named name: String) -> HostID? {
        hosts.firstIndex { $0.name == name }.map(HostID.init(rawValue:))
    }

    /// The name of `host` ("" for an unknown identifier).
    public func name(of host: HostID) -> String {
        hosts.indices.contains(host.rawValue) ? hosts[host.rawValue].name : ""
    }

    /// The addresses of `host`'s interfaces, in the order they were added.
    public func addresses(of host: HostID) -> [IPAddress] {
        hosts.indices.contains(host.rawValue) ? hosts[host.rawValue].interfaces.map(\.address) : []
    }

    /// The public address of `nat`, or nil for an unknown identifier.
    public func publicAddress(of nat: NATID) -> IPAddress? {
        nats.indices.contains(nat.rawValue) ? nats[nat.rawValue].table.publicIP : nil
    }

    /// How many mappings `nat` holds that are still live at `now`.
    public func mappingCount(of nat: NATID, at now: Instant) -> Int {
        nats.indices.contains(nat.rawValue) ? nats[nat.rawValue].table.liveMappingCount(at: now) : 0
    }

    /// Replaces the link of `host`'s interface at `address` (every interface when nil), for datagrams entering
    /// the link from now on. Queue state is kept.
    public mutating func setLink(_ link: LinkConfiguration, for host: HostID,
                                 address: IPAddress? = nil) throws(SimulationError) {
        try checkHost(host)
        try link.validate()
        for i in hosts[host.rawValue].interfaces.indices
        where address == nil || hosts[host.rawValue].interfaces[i].address == address {
            hosts[host.rawValue].interfaces[i].upstream.conditions = link.upstream
            hosts[host.rawValue].interfaces[i].downstream.conditions = link.downstream
        }
    }

    /// Replaces the link between `nat` and its outer realm, for datagrams entering it from now on.
    public mutating func setLink(_ link: LinkConfiguration, for nat: NATID) throws(SimulationError) {
        guard nats.indices.contains(nat.rawValue) else {
            throw SimulationError(.unknownIdentifier, field: "NATID", "no NAT #\(nat.rawValue)")
        }
        try link.validate()
        nats[nat.rawValue].upstream.conditions = link.upstream
        nats[nat.rawValue].downstream.conditions = link.downstream
    }

    /// Changes `nat`'s behaviour from now on (existing mappings are kept; their lifetime is judged by the new
    /// configuration only when refreshed).
    public mutating func setConfiguration(_ configuration: NATConfiguration,
                                          for nat: NATID) throws(SimulationError) {
        guard nats.indices.contains(nat.rawValue) else {
            throw SimulationError(.unknownIdentifier, field: "NATID", "no NAT #\(nat.rawValue)")
        }
        try configuration.validate()
        nats[nat.rawValue].table.configuration = configuration
    }

    // MARK: Cuts

    /// Blocks every datagram between IP addresses `a` and `b` (both directions, any port, at any hop) until
    /// `restorePath(between:and:)`.
    public mutating func cutPath(between a: IPAddress, and b: IPAddress) {
        cutPairs.insert(IPPair(a: a, b: b))
        cutPairs.insert(IPPair(a: b, b: a))
    }

    /// Lifts a `cutPath(between:and:)`.
    public mutating func restorePath(between a: IPAddress, and b: IPAddress) {
        cutPairs.remove(IPPair(a: a, b: b))
        cutPairs.remove(IPPair(a: b, b: a))
    }

    /// Blocks everything `host` sends and everything that would reach it, until `restore(host:)`.
    public mutating func cut(host: HostID) {
        if hosts.indices.contains(host.rawValue) { hosts[host.rawValue].isCut = true }
    }

    /// Lifts a `cut(host:)`.
    public mutating func restore(host: HostID) {
        if hosts.indices.contains(host.rawValue) { hosts[host.rawValue].isCut = false }
    }

    // MARK: Helpers

    private func realm(behind nat: NATID?) throws(SimulationError) -> Int {
        guard let nat else { return 0 }
        guard nats.indices.contains(nat.rawValue) else {
            throw SimulationError(.unknownIdentifier, field: "behind", "no NAT #\(nat.rawValue)")
        }
        return nats[nat.rawValue].innerRealm
    }

    private func checkFree(_ address: IPAddress, in realm: Int) throws(SimulationError) {
        guard realms[realm].interfaces[address] == nil, realms[realm].natsByPublicIP[address] == nil else {
            throw SimulationError(.duplicateAddress, field: "address", "\(address) is already used in that realm")
        }
    }

    private func checkHost(_ host: HostID) throws(SimulationError) {
        guard hosts.indices.contains(host.rawValue) else {
            throw SimulationError(.unknownIdentifier, field: "HostID", "no host #\(host.rawValue)")
        }
    }
}
