import RingletCore
import RingletSTUN

extension TURNServer {
    /// Whether the configuration lets a client reach `ip` through a relay (the peer-address policy).
    ///
    /// IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) addresses are judged by their IPv4 part.
    /// Unspecified, "this network" 0/8, multicast, reserved 240/4 and broadcast are always refused; loopback
    /// only with `allowLoopbackPeers`; private and link-local only with `allowPrivatePeers`.
    public func isPeerAllowed(_ ip: IPAddress) -> Bool {
        guard let ip = Self.peerIP(ip) else { return false }
        if let v4 = ip.v4Value, v4 >> 24 == 0 || v4 >> 28 >= 0xE { return false }
        if configuration.deniedPeerNetworks.contains(where: { $0.contains(ip) }) { return false }
        if ip.isLoopback { return configuration.allowLoopbackPeers }
        if ip.isPrivate || ip.isLinkLocal { return configuration.allowPrivatePeers }
        return true
    }

    /// Whether a client may reach the peer transport address `peer` through a relay: ``isPeerAllowed(_:)`` for
    /// its IP, and not one of the server's own service addresses (``Configuration/deniedPeerAddresses``), and
    /// not at one of the server's own IPs (``Configuration/ownAddresses``) unless it is the relayed address of
    /// one of this server's allocations.
    public func isPeerAllowed(_ peer: TransportAddress) -> Bool {
        guard isPeerAllowed(peer.ip), let ip = Self.peerIP(peer.ip) else { return false }
        return !isOwnAddress(TransportAddress(ip, peer.port))
    }

    /// Whether `peer` (a plain IPv4/IPv6 address) is the server itself: a service address, or an own IP that is
    /// not an allocation's relayed address.
    func isOwnAddress(_ peer: TransportAddress) -> Bool {
        if configuration.deniedPeerAddresses.contains(peer) { return true }
        return configuration.ownAddresses.contains(peer.ip) && byRelay[peer] == nil
    }

    /// The IP a peer address stands for: IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) IPv6
    /// addresses as their IPv4 part; nil for IPv6 multicast and `::`, which are never peers.
    static func peerIP(_ ip: IPAddress) -> IPAddress? {
        guard ip.family == .v6 else { return ip }
        let b = ip.bytes
        let mapped = b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF
        let nat64 = b[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
        if mapped || nat64 { return IPAddress(b[12], b[13], b[14], b[15]) }
        if b[0] == 0xFF || ip.isUnspecified { return nil }
        return ip
    }

    /// The usable XOR-PEER-ADDRESS attributes of `m` (those before MESSAGE-INTEGRITY), decoded; nil if one is
    /// malformed.
    func peerAddresses(_ m: STUNMessage) -> [TransportAddress]? {
        var out: [TransportAddress] = []
        for a in m.attributes {
            if a.type == .messageIntegrity || a.type == .messageIntegritySHA256 || a.type == .fingerprint { break }
            guard a.type == .xorPeerAddress else { continue }
            guard let peer = try? a.decode(STUNXORPeerAddress.self, transactionID: m.transactionID),
                  let address = peer.address.transportAddress
            else { return nil }
            out.append(address)
        }
        return out
    }

    /// 443 for a peer of the other family, 403 for a peer the policy refuses; true when it answered.
    mutating func refusePeer(_ peer: TransportAddress, allocation i: Int, m: STUNMessage, flow: ClientFlow,
                             key: STUNIntegrityKey) -> Bool
    {
        if peer.ip.family != slots[i]?.family {
            sendError(for: m, flow: flow, code: 443, reason: "Peer Address Family Mismatch", key: key)
            return true
        }
        if !isPeerAllowed(peer) {
            sendError(for: m, flow: flow, code: 403, reason: "Forbidden", key: key)
            return true
        }
        return false
    }

    /// Handles CreatePermission (RFC 8656 §10.2): every XOR-PEER-ADDRESS must pass (else 400 if none or
    /// malformed, 443, 403, or 508 past `maxPermissionsPerAllocation`), then each peer IP gets a permission
    /// for 300 s (installed or refreshed), all or none.
    mutating func handleCreatePermission(_ m: STUNMessage, flow: ClientFlow, now: Instant) {
        guard let credentials = authenticate(m, flow: flow, now: now),
              let i = activeAllocation(for: m, flow: flow, credentials: credentials)
        else { return }
        let key = credentials.key
        guard !refuseUnknownAttributes(m, known: TURNServer.knownTURNAttributes, flow: flow, key: key) else { return }
        guard let peers = peerAddresses(m), !peers.isEmpty else {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        for peer in peers where refusePeer(peer, allocation: i, m: m, flow: flow, key: key) { return }
        let existing = slots[i]?.permissions ?? [:]
        let added = Set(peers.map(\.ip)).filter { existing[$0] == nil }.count
        guard existing.count + added <= configuration.maxPermissionsPerAllocation else {
            sendError(for: m, flow: flow, code: 508, reason: "Insufficient Capacity", key: key)
            return
        }
        let until = now + TURNServer.permissionLifetime
        for peer in peers { slots[i]?.permissions[peer.ip] = until }
        noteDeadline(until)
        sendSuccess(for: m, flow: flow, attributes: [], key: key)
    }

    /// Handles ChannelBind (RFC 8656 §11.2): CHANNEL-NUMBER in ``channelNumbers`` (0x4000–0x7FFF by default,
    /// 0x4000–0x4FFF without `acceptsRFC5766ChannelNumbers`) and one XOR-PEER-ADDRESS (else 400); 443/403 for the peer; 400 if the number is bound (or still reserved) to another peer, or the peer
    /// to another number. Success binds or refreshes the channel for 600 s and the peer's permission for 300 s.
    mutating func handleChannelBind(_ m: STUNMessage, flow: ClientFlow, now: Instant) {
        guard let credentials = authenticate(m, flow: flow, now: now),
              let i = activeAllocation(for: m, flow: flow, credentials: credentials)
        else { return }
        let key = credentials.key
        guard !refuseUnknownAttributes(m, known: TURNServer.knownTURNAttributes, flow: flow, key: key) else { return }
        guard let value = m.firstAttribute(.channelNumber)?.value,
              let channel = try? STUNChannelNumber(attributeValue: value, accepting: channelNumbers),
              let peers = peerAddresses(m),
              peers.count == 1, let peer = peers.first
        else {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        guard !refusePeer(peer, allocation: i, m: m, flow: flow, key: key) else { return }
        let number = channel.number
        if let bound = slots[i]?.channels[number], bound.peer != peer {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        if let other = slots[i]?.channelByPeer[peer], other != number {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        if slots[i]?.permissions[peer.ip] == nil,
           (slots[i]?.permissions.count ?? 0) >= configuration.maxPermissionsPerAllocation
        {
            sendError(for: m, flow: flow, code: 508, reason: "Insufficient Capacity", key: key)
            return
        }
        let boundUntil = now + TURNServer.channelLifetime
        let permittedUntil = now + TURNServer.permissionLifetime
        slots[i]?.channels[number] = .init(peer: peer, boundUntil: boundUntil)
        slots[i]?.channelByPeer[peer] = number
        slots[i]?.permissions[peer.ip] = permittedUntil
        noteDeadline(permittedUntil)
        sendSuccess(for: m, flow: flow, attributes: [], key: key)
    }
}
