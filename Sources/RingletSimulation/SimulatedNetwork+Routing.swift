import RingletCore

extension SimulatedNetwork {
    /// Puts `datagram` on the link of `host`'s interface whose address is `datagram.source.ip`, at `now`.
    ///
    /// Never fails: a datagram from an address the host does not have (`notLocal`), from a cut host or over a cut
    /// path is dropped and counted. Call with non-decreasing `now` (as the driver does).
    public mutating func send(_ datagram: Datagram, from host: HostID, now: Instant) {
        statistics.sent &+= 1
        guard hosts.indices.contains(host.rawValue),
              let index = hosts[host.rawValue].interfaces.firstIndex(where: { $0.address == datagram.source.ip })
        else {
            drop(datagram, .notLocal, at: now)
            return
        }
        guard !hosts[host.rawValue].isCut, !isCut(datagram) else {
            drop(datagram, .cut, at: now)
            return
        }
        let realm = hosts[host.rawValue].interfaces[index].realm
        let outcome = hosts[host.rawValue].interfaces[index].upstream.transmit(
            datagram.payload, size: wireSize(datagram), now: now, random: &linkRandom)
        schedule(outcome, datagram, .route(realm: realm), at: now)
    }

    /// The instant of the earliest pending event (a datagram reaching a hop or a host), or nil when nothing is in
    /// flight. A driver advances its clock to this (or to an earlier deadline of its own) and calls
    /// `deliver(upTo:)`; an event may only move a datagram one hop, so the returned list can be empty.
    public func nextDeliveryTime() -> Instant? { events.earliest }

    /// How many datagram hops are pending.
    public var inFlightCount: Int { events.count }

    /// Runs every event due by `now` and returns the datagrams that reached hosts, in arrival order.
    public mutating func deliver(upTo now: Instant) -> [Delivery] {
        var out: [Delivery] = []
        while let entry = events.pop(dueBy: now) {
            let t = entry.time
            let d = entry.payload.datagram
            switch entry.payload.stage {
            case .route(let realm):
                route(d, in: realm, at: t)
            case .deliver(let ref):
                guard !hosts[ref.host].isCut, !isCut(d) else {
                    drop(d, .cut, at: t)
                    continue
                }
                let delivery = Delivery(time: t, host: HostID(rawValue: ref.host), datagram: d)
                statistics.delivered &+= 1
                if isTracing { trace.append(NetworkTraceEntry(time: t, event: .delivered(delivery.host), datagram: d)) }
                out.append(delivery)
            }
        }
        return out
    }

    private mutating func route(_ datagram: Datagram, in realm: Int, at t: Instant) {
        guard !isCut(datagram) else {
            drop(datagram, .cut, at: t)
            return
        }
        let destination = datagram.destination.ip
        if let ref = realms[realm].interfaces[destination] {
            let outcome = hosts[ref.host].interfaces[ref.index].downstream.transmit(
                datagram.payload, size: wireSize(datagram), now: t, random: &linkRandom)
            schedule(outcome, datagram, .deliver(ref), at: t)
        } else if let nat = realms[realm].natsByPublicIP[destination] {
            guard let inside = translateInbound(datagram, nat: nat, at: t) else { return }
            let outcome = nats[nat].downstream.transmit(inside.payload, size: wireSize(inside), now: t, random: &linkRandom)
            schedule(outcome, inside, .route(realm: nats[nat].innerRealm), at: t)
        } else if let nat = realms[realm].nat {
            guard let external = nats[nat].table.outbound(from: datagram.source, to: datagram.destination, now: t,
                                                          random: &natRandom)
            else {
                drop(datagram, .portsExhausted, at: t)
                return
            }
            var outside = datagram
            outside.source = external
            if destination == nats[nat].table.publicIP {
                // Hairpinning (RFC 4787 §6): straight back in, with the external source address.
                guard nats[nat].table.configuration.hairpinning else {
                    drop(outside, .hairpinRefused, at: t)
                    return
                }
                guard let inside = translateInbound(outside, nat: nat, at: t) else { return }
                events.push(InFlight(stage: .route(realm: nats[nat].innerRealm), datagram: inside), at: t)
                return
            }
            let outcome = nats[nat].upstream.transmit(outside.payload, size: wireSize(outside), now: t, random: &linkRandom)
            schedule(outcome, outside, .route(realm: nats[nat].outerRealm), at: t)
        } else {
            drop(datagram, .noRoute, at: t)
        }
    }

    private mutating func translateInbound(_ datagram: Datagram, nat: Int, at t: Instant) -> Datagram? {
        switch nats[nat].table.inbound(from: datagram.source, toPort: datagram.destination.port, now: t) {
        case .translated(let insideAddress):
            var inside = datagram
            inside.destination = insideAddress
            return inside
        case .refused(let reason):
            drop(datagram, reason, at: t)
            return nil
        }
    }

    private mutating func schedule(_ outcome: LinkDirection.Outcome, _ datagram: Datagram, _ stage: Stage,
                                   at t: Instant) {
        if let reason = outcome.drop {
            drop(datagram, reason, at: t)
            return
        }
        events.push(InFlight(stage: stage, datagram: datagram), at: outcome.first)
        if let second = outcome.second {
            statistics.duplicated &+= 1
            events.push(InFlight(stage: stage, datagram: datagram), at: second)
        }
    }

    private mutating func drop(_ datagram: Datagram, _ reason: DropReason, at t: Instant) {
        statistics.drops[reason, default: 0] &+= 1
        if isTracing { trace.append(NetworkTraceEntry(time: t, event: .dropped(reason), datagram: datagram)) }
    }

    private func isCut(_ datagram: Datagram) -> Bool {
        !cutPairs.isEmpty && cutPairs.contains(IPPair(a: datagram.source.ip, b: datagram.destination.ip))
    }

    /// Bytes on the wire: payload plus IP and UDP headers.
    private func wireSize(_ datagram: Datagram) -> Int {
        datagram.payload.count &+ (datagram.destination.ip.family == .v4 ? 28 : 48)
    }
}
