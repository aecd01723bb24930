import RingletCore
import RingletSTUN

extension TURNServer {
    /// Attributes a TURN request may carry without a 420 (RFC 8489 §14, RFC 8656 §18).
    static let knownTURNAttributes: Set<STUNAttributeType> = [
        .username, .messageIntegrity, .messageIntegritySHA256, .fingerprint, .realm, .nonce, .userHash,
        .passwordAlgorithm, .channelNumber, .lifetime, .xorPeerAddress, .data, .requestedAddressFamily, .evenPort,
        .requestedTransport, .dontFragment, .reservationToken,
    ]

    /// The lifetime granted for a requested one (RFC 8656 §7.2, §7.3): the smaller of the request and the
    /// maximum, but never less than the default; the default when none was asked for.
    func grantedLifetime(requested: UInt32?) -> Duration {
        guard let requested else { return configuration.defaultLifetime }
        let asked = min(Duration.seconds(Int64(requested)), configuration.maxLifetime)
        return max(asked, configuration.defaultLifetime)
    }

    /// The allocation quota key of a username: the whole name, or its `id` part.
    func quotaKey(of username: String) -> String {
        guard configuration.quotaScope == .id, let colon = username.firstIndex(of: ":") else { return username }
        return String(username[username.index(after: colon)...])
    }

    /// Handles an Allocate request (RFC 8656 §7.2), checking in the RFC's order: credentials; 5-tuple in use
    /// (437, or the success again for a retransmission); unknown attributes (420); REQUESTED-TRANSPORT (400 if
    /// absent, 442 unless UDP); RESERVATION-TOKEN (400 with EVEN-PORT or REQUESTED-ADDRESS-FAMILY, else 508:
    /// this server keeps no reservations); EVEN-PORT with R set (508, same reason); REQUESTED-ADDRESS-FAMILY
    /// (440 if not offered); quotas (486 per user, 508 in total). DONT-FRAGMENT and EVEN-PORT (R = 0) are
    /// accepted and passed to the shell in the ``RelayRequest``.
    mutating func handleAllocate(_ m: STUNMessage, flow: ClientFlow, now: Instant) {
        guard let credentials = authenticate(m, flow: flow, now: now) else { return }
        let key = credentials.key
        if let i = byFlow[flow], let a = slots[i] {
            if a.allocateTransaction == m.transactionID {
                if let relay = a.relay { sendAllocateSuccess(a, relay: relay, transactionID: m.transactionID,
                                                             fingerprint: m.hasFingerprint) }
            } else {
                sendError(for: m, flow: flow, code: 437, reason: "Allocation Mismatch", key: key)
            }
            return
        }
        guard !refuseUnknownAttributes(m, known: TURNServer.knownTURNAttributes, flow: flow, key: key) else { return }
        let transport: STUNRequestedTransport?, token: STUNReservationToken?, even: STUNEvenPort?
        let requestedFamily: STUNRequestedAddressFamily?, lifetime: STUNLifetime?
        do {
            transport = try m.attribute(STUNRequestedTransport.self)
            token = try m.attribute(STUNReservationToken.self)
            even = try m.attribute(STUNEvenPort.self)
            requestedFamily = try m.attribute(STUNRequestedAddressFamily.self)
            lifetime = try m.attribute(STUNLifetime.self)
        } catch {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        guard let transport else {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        guard transport.protocolNumber == STUNRequestedTransport.udp else {
            sendError(for: m, flow: flow, code: 442, reason: "Unsupported Transport Protocol", key: key)
            return
        }
        if token != nil {
            let bad = even != nil || requestedFamily != nil
            sendError(for: m, flow: flow, code: bad ? 400 : 508, reason: bad ? "Bad Request" : "Insufficient Capacity",
                      key: key)
            return
        }
        if let even, even.reserveNext {
            sendError(for: m, flow: flow, code: 508, reason: "Insufficient Capacity", key: key)
            return
        }
        let family: IPAddress.Family?
        switch requestedFamily?.family {
        case nil, .some(.ipv4): family = .v4
        case .some(.ipv6): family = .v6
        default: family = nil
        }
        guard let family, configuration.relayAddressFamilies.contains(family) else {
            sendError(for: m, flow: flow, code: 440, reason: "Address Family not Supported", key: key)
            return
        }
        let quota = quotaKey(of: credentials.username)
        guard (perUser[quota] ?? 0) < configuration.maxAllocationsPerUser else {
            sendError(for: m, flow: flow, code: 486, reason: "Allocation Quota Reached", key: key)
            return
        }
        guard counters.allocations < configuration.maxAllocations else {
            sendError(for: m, flow: flow, code: 508, reason: "Insufficient Capacity", key: key)
            return
        }
        let granted = grantedLifetime(requested: lifetime?.seconds)
        let requestID = nextRelayRequestID
        nextRelayRequestID &+= 1
        let allocation = TURNServerAllocation(
            flow: flow, username: credentials.username, quotaKey: quota, key: key, family: family,
            allocateTransaction: m.transactionID, relay: nil,
            pending: .init(relayRequestID: requestID, lifetime: granted, fingerprint: m.hasFingerprint),
            expiry: now + granted, grantedLifetime: granted)
        if configuration.allocationBytesPerSecond > 0 {
            let rate = Double(configuration.allocationBytesPerSecond)
            allocation.bandwidth = TokenBucket(capacity: rate, refillPerSecond: rate, now: now)
        }
        let i: Int
        if let free = freeSlots.popLast() {
            i = free
            slots[i] = allocation
        } else {
            i = slots.count
            slots.append(allocation)
        }
        byFlow[flow] = i
        byRelayRequest[requestID] = i
        perUser[quota, default: 0] &+= 1
        counters.allocations &+= 1
        noteDeadline(now + granted)
        outputs.append(.openRelay(RelayRequest(id: requestID, flow: flow, family: family, evenPort: even != nil,
                                               dontFragment: m.firstAttribute(.dontFragment) != nil)))
    }

    /// The Allocate success response (RFC 8656 §7.2): XOR-RELAYED-ADDRESS, LIFETIME, XOR-MAPPED-ADDRESS.
    mutating func sendAllocateSuccess(_ a: TURNServerAllocation, relay: TransportAddress,
                                      transactionID: STUNTransactionID, fingerprint: Bool)
    {
        let seconds = UInt32(clamping: a.grantedLifetime.components.seconds)
        sendResponse(STUNMessageType(method: .allocate, messageClass: .successResponse), transactionID: transactionID,
                     flow: a.flow,
                     attributes: [
                         STUNAttribute(STUNXORRelayedAddress(address: STUNAddress(relay)), transactionID: transactionID),
                         STUNAttribute(STUNLifetime(seconds: seconds), transactionID: transactionID),
                         STUNAttribute(STUNXORMappedAddress(address: STUNAddress(a.flow.client)),
                                       transactionID: transactionID),
                     ],
                     key: a.key, fingerprint: fingerprint)
    }

    /// Handles a Refresh request (RFC 8656 §7.3): LIFETIME 0 deletes the allocation; otherwise its lifetime
    /// restarts at the granted value. A REQUESTED-ADDRESS-FAMILY other than the allocation's gets 443.
    mutating func handleRefresh(_ m: STUNMessage, flow: ClientFlow, now: Instant) {
        guard let credentials = authenticate(m, flow: flow, now: now),
              let i = activeAllocation(for: m, flow: flow, credentials: credentials)
        else { return }
        let key = credentials.key
        guard !refuseUnknownAttributes(m, known: TURNServer.knownTURNAttributes, flow: flow, key: key) else { return }
        let lifetime: STUNLifetime?, requestedFamily: STUNRequestedAddressFamily?
        do {
            lifetime = try m.attribute(STUNLifetime.self)
            requestedFamily = try m.attribute(STUNRequestedAddressFamily.self)
        } catch {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: key)
            return
        }
        if let requestedFamily {
            let family: STUNAddressFamily = slots[i]?.family == .v6 ? .ipv6 : .ipv4
            guard requestedFamily.family == family else {
                sendError(for: m, flow: flow, code: 443, reason: "Peer Address Family Mismatch", key: key)
                return
            }
        }
        if lifetime?.seconds == 0 {
            deleteAllocation(i, reason: .refreshedToZero)
            sendSuccess(for: m, flow: flow,
                        attributes: [STUNAttribute(STUNLifetime(seconds: 0), transactionID: m.transactionID)], key: key)
            return
        }
        let granted = grantedLifetime(requested: lifetime?.seconds)
        slots[i]?.expiry = now + granted
        slots[i]?.grantedLifetime = granted
        let seconds = UInt32(clamping: granted.components.seconds)
        sendSuccess(for: m, flow: flow,
                    attributes: [STUNAttribute(STUNLifetime(seconds: seconds), transactionID: m.transactionID)], key: key)
    }
}
