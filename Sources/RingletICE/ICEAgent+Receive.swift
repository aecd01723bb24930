import RingletCore
import RingletSTUN

extension ICEAgent {
    /// Takes a datagram received on a local candidate: STUN for ICE is consumed (drain ``pollOutput()`` for the
    /// responses and events it caused); anything else is application data of the pair it arrived on
    /// (RFC 8445 §11, RFC 7983 demultiplexing of STUN versus DTLS/SRTP).
    /// - Parameters:
    ///   - payload: the datagram's bytes (for relayed candidates: the peer's data, unwrapped from the relay).
    ///   - source: where it came from (for relayed candidates: the peer's address from the relay).
    ///   - local: the local address it arrived on (the host socket, or the relayed address).
    ///   - now: the current instant.
    /// - Returns: what the datagram was; never traps on any bytes.
    public mutating func handleDatagram(
        _ payload: ArraySlice<UInt8>, from source: TransportAddress, to local: TransportAddress, now: Instant
    ) -> Received {
        guard connectionState != .closed else { return .dropped(.closed) }
        guard STUNMessage.looksLikeSTUN(payload) else {
            return applicationData(from: source, to: local, now: now)
        }
        guard let message = try? STUNMessage(parsing: payload), message.type.method == .binding else {
            return drop(.malformed)
        }
        if message.hasFingerprint, !message.verifyFingerprint() { return drop(.badIntegrity) }
        let result: Received
        switch message.type.messageClass {
        case .request: result = handleRequest(message, from: source, to: local, now: now)
        case .successResponse, .errorResponse: result = handleResponse(message, from: source, to: local, now: now)
        case .indication: result = .consumed
        }
        updateState(now: now)
        return result
    }

    /// ``handleDatagram(_:from:to:now:)`` for a whole array.
    public mutating func handleDatagram(
        _ payload: [UInt8], from source: TransportAddress, to local: TransportAddress, now: Instant
    ) -> Received {
        handleDatagram(payload[...], from: source, to: local, now: now)
    }

    mutating func drop(_ reason: DropReason) -> Received {
        switch reason {
        case .malformed: statistics.malformed &+= 1
        case .badIntegrity: statistics.badIntegrity &+= 1
        case .unknownUsername: statistics.unknownUsername &+= 1
        case .unmatchedResponse: statistics.unmatchedResponses &+= 1
        case .unknownLocalAddress, .unknownSource: statistics.unknownAddress &+= 1
        case .closed: break
        }
        return .dropped(reason)
    }

    mutating func applicationData(from source: TransportAddress, to local: TransportAddress, now: Instant) -> Received {
        if let id = selectedPairID, let i = pairIndex(id), pairs[i].remote.address == source,
           locals[pairs[i].local].base == local
        {
            // The path carries the peer's media: it is not lost, even while consent answers are late.
            lastHeard = max(lastHeard, now)
            if connectionState == .disconnected { updateState(now: now) }
            return .applicationData(ICECandidatePair.ID(rawValue: id))
        }
        if let p = pairs.last(where: { $0.remote.address == source && locals[$0.local].base == local }) {
            return .applicationData(ICECandidatePair.ID(rawValue: p.id))
        }
        return drop(.unknownSource)
    }

    // MARK: Requests (RFC 8445 §7.3)

    mutating func handleRequest(
        _ m: STUNMessage, from source: TransportAddress, to local: TransportAddress, now: Instant
    ) -> Received {
        guard let username = try? m.attribute(STUNUsername.self), m.hasMessageIntegrity else {
            return drop(.malformed)
        }
        let ufrag = username.value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first
        let key: STUNIntegrityKey
        let current: Bool
        if ufrag.map(String.init) == localCredentials.usernameFragment {
            key = localKey
            current = true
        } else if let p = previousLocal, ufrag.map(String.init) == p.credentials.usernameFragment {
            key = p.key
            current = false
        } else {
            return drop(.unknownUsername)
        }
        guard m.verifyMessageIntegrity(key) else { return drop(.badIntegrity) }
        guard let localIndex = locals.firstIndex(where: { $0.base == local && $0.pairs }) else {
            return drop(.unknownLocalAddress)
        }
        guard let priority = try? m.attribute(STUNPriority.self) else { return drop(.malformed) }
        let controlling = try? m.attribute(STUNICEControlling.self)
        let controlled = try? m.attribute(STUNICEControlled.self)

        // Role conflict (RFC 8445 §7.3.1.1).
        if role == .controlling, let c = controlling {
            if tieBreaker >= c.tieBreaker {
                respondRoleConflict(m, from: source, local: locals[localIndex], key: key)
                return .consumed
            }
            switchRole(to: .controlled)
        } else if role == .controlled, let c = controlled {
            if tieBreaker >= c.tieBreaker {
                switchRole(to: .controlling)
            } else {
                respondRoleConflict(m, from: source, local: locals[localIndex], key: key)
                return .consumed
            }
        }
        respondSuccess(m, from: source, local: locals[localIndex], key: key)
        statistics.requestsAnswered &+= 1
        guard current else { return .consumed }

        // The remote candidate, learning a peer-reflexive one if new (RFC 8445 §7.3.1.3).
        let remote: ICECandidate
        if let r = remotes.first(where: { $0.address == source }) {
            remote = r
        } else {
            guard let r = try? ICECandidate(
                foundation: ICECandidate.foundation(kind: .peerReflexive, baseIP: source.ip),
                priority: priority.value, address: source, kind: .peerReflexive)
            else { return .consumed }
            remotes.append(r)
            remote = r
        }
        // The triggered check (RFC 8445 §7.3.1.4).
        guard let i = addPair(local: localIndex, remote: remote) else { return .consumed }
        pairs[i].lastHeard = now
        if let v = pairs[i].validPairID.flatMap({ pairIndex($0) }) { pairs[v].lastHeard = now }
        switch pairs[i].state {
        case .succeeded:
            break
        case .inProgress:
            expediteCheck(pairID: pairs[i].id, now: now)
        case .waiting, .frozen, .failed:
            pairs[i].state = .waiting
            enqueueTriggered(i)
        }
        // USE-CANDIDATE while controlled (RFC 8445 §7.3.1.5).
        if role == .controlled, m.firstAttribute(.useCandidate) != nil {
            pairs[i].remoteNominated = true
            if pairs[i].state == .succeeded {
                let v = pairs[i].validPairID.flatMap { pairIndex($0) } ?? i
                nominate(v, now: now)
            }
        }
        return .consumed
    }

    /// The peer's check shows the pair works now: retransmit our check in flight on it at once instead of waiting
    /// out its RTO (RFC 5245 §7.2.1.4; RFC 8445 §7.3.1.4 cancels and re-queues it instead). Our first request may
    /// have met the peer's TURN server before the peer installed the permission for us.
    mutating func expediteCheck(pairID: Int, now: Instant) {
        var expedited = false
        for (tid, t) in transactions where t.sends < t.maxSends && t.deadline > now {
            guard case .check(let p, _, _, _) = t.purpose, p == pairID else { continue }
            transactions[tid]?.deadline = now
            expedited = true
        }
        if expedited { retransmit(now: now) }
    }

    mutating func switchRole(to newRole: Role) {
        guard role != newRole else { return }
        role = newRole
        nominationInFlight = nil
        for i in pairs.indices { pairs[i].nominateOnNextCheck = false }
        recomputePriorities()
        emit(.roleChanged(newRole))
    }

    mutating func respondSuccess(_ m: STUNMessage, from source: TransportAddress, local: LocalEntry, key: STUNIntegrityKey) {
        let tid = m.transactionID
        respond(type: .bindingSuccess, tid: tid,
                attributes: [STUNAttribute(STUNXORMappedAddress(address: STUNAddress(source)), transactionID: tid)],
                to: source, local: local, key: key)
    }

    mutating func respondRoleConflict(
        _ m: STUNMessage, from source: TransportAddress, local: LocalEntry, key: STUNIntegrityKey
    ) {
        let tid = m.transactionID
        guard let code = try? STUNErrorCode(code: STUNErrorCode.roleConflict, reason: "Role Conflict") else { return }
        statistics.roleConflictsSent &+= 1
        respond(type: .bindingError, tid: tid, attributes: [STUNAttribute(code, transactionID: tid)],
                to: source, local: local, key: key)
    }

    mutating func respond(
        type: STUNMessageType, tid: STUNTransactionID, attributes: [STUNAttribute], to destination: TransportAddress,
        local: LocalEntry, key: STUNIntegrityKey
    ) {
        guard let message = try? STUNMessage(type: type, transactionID: tid, attributes: attributes),
              let bytes = try? message.encoded(messageIntegrity: key, fingerprint: true)
        else { return }
        outputs.append(.transmit(Transmit(
            datagram: Datagram(source: local.base, destination: destination, payload: bytes),
            relayServer: local.relayServer)))
    }

    // MARK: Responses (RFC 8445 §7.2.5)

    mutating func handleResponse(
        _ m: STUNMessage, from source: TransportAddress, to local: TransportAddress, now: Instant
    ) -> Received {
        guard let t = transactions[m.transactionID] else { return drop(.unmatchedResponse) }
        if let key = t.key {
            guard m.hasMessageIntegrity, m.verifyMessageIntegrity(key) else { return drop(.badIntegrity) }
        } else if source != t.transmit.datagram.destination {
            return drop(.unmatchedResponse)
        }
        transactions[m.transactionID] = nil
        let success = m.type.messageClass == .successResponse
        let mapped = (try? m.attribute(STUNXORMappedAddress.self))?.address.transportAddress

        switch t.purpose {
        case .gather(let base, let server):
            if success, let mapped { learnServerReflexive(mapped, base: base, server: server) }
            checkGatheringComplete()
        case .consent(let id):
            if success, id == selectedPairID, source == t.transmit.datagram.destination { lastConsent = now }
        case .check(let id, let useCandidate, let sentRole, let priority):
            guard let i = pairIndex(id) else { return .consumed }
            // Non-symmetric addresses fail the check (RFC 8445 §7.2.5.2.1).
            guard source == t.transmit.datagram.destination, local == t.transmit.datagram.source else {
                checkFailed(i)
                return .consumed
            }
            guard success else {
                let code = (try? m.attribute(STUNErrorCode.self))?.code
                if code == STUNErrorCode.roleConflict {
                    // RFC 8445 §7.2.5.1: take the other role and check again.
                    if role == sentRole { switchRole(to: sentRole == .controlling ? .controlled : .controlling) }
                    if pairs[i].inChecklist { pairs[i].state = .waiting }
                    if nominationInFlight == id { nominationInFlight = nil }
                    enqueueTriggered(i)
                } else {
                    checkFailed(i)
                }
                return .consumed
            }
            guard let mapped else {
                checkFailed(i)
                return .consumed
            }
            checkSucceeded(i, mapped: mapped, priority: priority, useCandidate: useCandidate, now: now)
        }
        return .consumed
    }

    mutating func checkFailed(_ i: Int) {
        if nominationInFlight == pairs[i].id { nominationInFlight = nil }
        if pairs[i].inChecklist { pairs[i].state = .failed }
    }

    /// A successful check (RFC 8445 §7.2.5.3): learns a prflx local candidate when the mapped address is new,
    /// adds the valid pair, unfreezes pairs of the same foundation and applies nomination.
    mutating func checkSucceeded(_ i: Int, mapped: TransportAddress, priority: UInt32, useCandidate: Bool, now: Instant) {
        let base = locals[pairs[i].local].base
        var localIndex = locals.firstIndex { $0.candidate.address == mapped && $0.base == base }
        if localIndex == nil {
            let l = locals[pairs[i].local]
            if let c = try? ICECandidate(
                foundation: ICECandidate.foundation(kind: .peerReflexive, baseIP: base.ip),
                priority: priority, address: mapped, kind: .peerReflexive, relatedAddress: base)
            {
                locals.append(LocalEntry(candidate: c, base: base, relayServer: l.relayServer))
                localIndex = locals.count - 1
            }
        }
        var v = i
        if let li = localIndex, li != pairs[i].local {
            v = pairs.firstIndex { $0.local == li && $0.remote.address == pairs[i].remote.address
                && $0.generation == pairs[i].generation } ?? {
                nextPairID &+= 1
                let remote = pairs[i].remote
                pairs.append(PairEntry(
                    id: nextPairID, local: li, remote: remote,
                    priority: pairPriority(local: locals[li].candidate, remote: remote), state: .succeeded,
                    inChecklist: false, generation: pairs[i].generation,
                    foundation: locals[li].candidate.foundation + ":" + remote.foundation))
                return pairs.count - 1
            }()
        }
        if pairs[i].inChecklist { pairs[i].state = .succeeded }
        pairs[i].validPairID = pairs[v].id
        pairs[v].valid = true
        pairs[i].lastHeard = now
        pairs[v].lastHeard = now
        if pairs[v].generation == generation, firstValidAt == nil { firstValidAt = now }
        // Unfreeze pairs with the same foundation (RFC 8445 §7.2.5.3.3).
        let foundation = pairs[i].foundation
        for j in pairs.indices where pairs[j].state == .frozen && pairs[j].foundation == foundation {
            pairs[j].state = .waiting
        }
        if pairs[v].id == selectedPairID { lastConsent = now }
        if useCandidate || (role == .controlled && pairs[i].remoteNominated) {
            if nominationInFlight == pairs[i].id { nominationInFlight = nil }
            nominate(v, now: now)
        }
        // A controlling agent with no better pair left to check nominates now, not at the nomination-delay timer.
        nominateIfReady(now: now)
    }

    /// Adds a server-reflexive candidate from a STUN server's answer, unless it repeats one (RFC 8445 §5.1.3).
    mutating func learnServerReflexive(_ mapped: TransportAddress, base: TransportAddress, server: TransportAddress) {
        guard mapped != base, !locals.contains(where: { $0.candidate.address == mapped }) else { return }
        guard let c = try? ICECandidate(
            foundation: ICECandidate.foundation(kind: .serverReflexive, baseIP: base.ip, server: server.ip),
            priority: ICECandidate.priority(kind: .serverReflexive), address: mapped, kind: .serverReflexive,
            relatedAddress: base)
        else { return }
        locals.append(LocalEntry(candidate: c, base: base, relayServer: nil))
        emit(.localCandidate(c))
    }
}
