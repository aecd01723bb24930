import RingletCore
import RingletSTUN

extension ICEAgent {
    // MARK: Deadlines

    /// The next instant at which ``handleTimeout(now:)`` must be called, or nil if nothing is scheduled.
    /// An instant at or before the current time means "now".
    public func pollTimeout() -> Instant? {
        guard connectionState != .closed else { return nil }
        var next: Instant?
        func consider(_ t: Instant) { next = next.map { min($0, t) } ?? t }
        for t in transactions.values { consider(t.deadline) }
        if hasPacedWork { consider(nextPacedSend) }
        if selectedPairID != nil, !consentExpired {
            consider(nextConsent)
            if connectionState == .connected || connectionState == .completed {
                consider(lastAlive + configuration.consentLossTimeout)
            }
            consider(lastConsent + configuration.consentExpiry)
        }
        if role == .controlling, nominationInFlight == nil, let first = firstValidAt, !hasNominatedInGeneration {
            consider(first + configuration.nominationDelay)
        }
        return next
    }

    /// Runs what is due at `now`: retransmissions and timeouts of requests, the next paced check (every Ta),
    /// nomination, consent checks, and state changes. Drain ``pollOutput()`` afterwards.
    public mutating func handleTimeout(now: Instant) {
        guard connectionState != .closed else { return }
        retransmit(now: now)
        if now >= nextPacedSend, sendPaced(now: now) {
            nextPacedSend = now + configuration.checkInterval
        }
        nominateIfReady(now: now)
        leaveSilentSelection(now: now)
        refreshConsent(now: now)
        updateState(now: now)
    }

    // MARK: Requests

    /// Sends the connectivity check of pair `i` (RFC 8445 §7.2.2) and marks it In-Progress.
    mutating func sendCheck(_ i: Int, now: Instant) {
        guard let remote = remoteCredentials, let key = remoteKey else { return }
        let useCandidate = pairs[i].nominateOnNextCheck && role == .controlling
        pairs[i].nominateOnNextCheck = false
        if pairs[i].inChecklist, pairs[i].state != .succeeded { pairs[i].state = .inProgress }
        let l = locals[pairs[i].local]
        // PRIORITY: what a prflx candidate learned from this check would have (RFC 8445 §7.1.1).
        let priority = ICECandidate.priority(
            kind: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: l.candidate.priority >> 8))
        let tid = STUNTransactionID.random(using: &rng)
        var attributes = [
            (try? STUNAttribute(STUNUsername(remote.usernameFragment + ":" + localCredentials.usernameFragment),
                                transactionID: tid)),
            STUNAttribute(STUNPriority(priority), transactionID: tid),
            role == .controlling
                ? STUNAttribute(STUNICEControlling(tieBreaker: tieBreaker), transactionID: tid)
                : STUNAttribute(STUNICEControlled(tieBreaker: tieBreaker), transactionID: tid),
        ].compactMap { $0 }
        if useCandidate { attributes.append(STUNAttribute(STUNUseCandidate(), transactionID: tid)) }
        let purpose = Transaction.Purpose.check(
            pair: pairs[i].id, useCandidate: useCandidate, role: role, priority: priority)
        startTransaction(
            purpose, tid: tid, attributes: attributes, key: key, from: l, to: pairs[i].remote.address,
            maxSends: configuration.maxRequestCount, now: now)
    }

    /// Sends a Binding request to a STUN server for server-reflexive gathering (RFC 8445 §5.1.1.2).
    mutating func sendGather(base: TransportAddress, server: TransportAddress, now: Instant) {
        guard let l = locals.first(where: { $0.base == base }) else { return }
        let tid = STUNTransactionID.random(using: &rng)
        startTransaction(
            .gather(base: base, server: server), tid: tid, attributes: [], key: nil, from: l, to: server,
            maxSends: configuration.maxRequestCount, now: now)
    }

    mutating func startTransaction(
        _ purpose: Transaction.Purpose, tid: STUNTransactionID, attributes: [STUNAttribute], key: STUNIntegrityKey?,
        from l: LocalEntry, to destination: TransportAddress, maxSends: Int, now: Instant
    ) {
        guard let message = try? STUNMessage(type: .bindingRequest, transactionID: tid, attributes: attributes),
              let bytes = try? message.encoded(messageIntegrity: key, fingerprint: key != nil)
        else { return }
        let t = Transmit(
            datagram: Datagram(source: l.base, destination: destination, payload: bytes), relayServer: l.relayServer)
        outputs.append(.transmit(t))
        statistics.requestsSent &+= 1
        let rto = configuration.initialRTO
        let deadline = maxSends > 1 ? now + rto : now + rto * configuration.finalTimeoutMultiplier
        transactions[tid] = Transaction(
            purpose: purpose, transmit: t, key: key, sends: 1, rto: rto, deadline: deadline, maxSends: maxSends)
    }

    /// Retransmits requests whose RTO passed (doubling it), and fails those past the last wait
    /// (RFC 8489 §6.2.1).
    mutating func retransmit(now: Instant) {
        let due = transactions.filter { $0.value.deadline <= now }.map(\.key)
            .sorted { ($0.high, $0.low) < ($1.high, $1.low) }
        for tid in due {
            guard var t = transactions[tid] else { continue }
            if t.sends < t.maxSends {
                t.sends &+= 1
                t.rto = t.rto * 2
                t.deadline = t.sends < t.maxSends
                    ? now + t.rto : now + configuration.initialRTO * configuration.finalTimeoutMultiplier
                transactions[tid] = t
                outputs.append(.transmit(t.transmit))
                statistics.retransmissions &+= 1
            } else {
                transactions[tid] = nil
                transactionFailed(t, now: now)
            }
        }
    }

    mutating func transactionFailed(_ t: Transaction, now: Instant) {
        switch t.purpose {
        case .gather:
            checkGatheringComplete()
        case .consent:
            break
        case .check(let id, _, _, _):
            guard let i = pairIndex(id) else { return }
            if nominationInFlight == id { nominationInFlight = nil }
            if pairs[i].inChecklist { pairs[i].state = .failed }
            if id != selectedPairID { pairs[i].valid = false }
        }
    }

    // MARK: Nomination

    var hasNominatedInGeneration: Bool {
        pairs.contains { $0.nominated && $0.generation == generation }
    }

    /// Regular nomination by the controlling agent (RFC 8445 §8.1.1): once no pair that could beat the best
    /// valid pair is left to check, or ``Configuration/nominationDelay`` after the first valid pair, the best
    /// valid pair is checked again with USE-CANDIDATE.
    mutating func nominateIfReady(now: Instant) {
        guard role == .controlling, canCheck, nominationInFlight == nil, !hasNominatedInGeneration,
              let first = firstValidAt
        else { return }
        let valid = pairs.indices.filter { pairs[$0].valid && pairs[$0].generation == generation }
        guard let best = valid.max(by: { pairs[$0].priority < pairs[$1].priority }) else { return }
        let betterPending = pairs.contains {
            $0.inChecklist && $0.generation == generation && $0.priority > pairs[best].priority
                && ($0.state == .waiting || $0.state == .inProgress || $0.state == .frozen)
        }
        guard !betterPending || now >= first + configuration.nominationDelay else { return }
        nominationInFlight = pairs[best].id
        pairs[best].nominateOnNextCheck = true
        triggered.removeAll { $0 == pairs[best].id }
        triggered.insert(pairs[best].id, at: 0)
    }

    /// Marks pair `i` nominated and selects it unless a better one is selected (RFC 8445 §8.1.1, §8.2).
    ///
    /// Our own nomination (controlling) always selects. As controlled, of several pairs the peer nominated the
    /// highest-priority one is used (§8.1.1): a later nomination of a lower-priority pair — a browser nominating
    /// host → our relayed address after host → host — does not move us off a selected pair that still answers
    /// (as libwebrtc's controlled side keeps the better connection). If the selected pair stops answering while
    /// the peer goes on checking another nominated pair, ``leaveSilentSelection(now:)`` moves there.
    mutating func nominate(_ i: Int, now: Instant) {
        pairs[i].nominated = true
        if pairs[i].generation == generation { previousLocal = nil }
        guard selectedPairID != pairs[i].id else { return }
        if role == .controlled, let s = selectedPairID.flatMap({ pairIndex($0) }),
           pairs[s].generation == pairs[i].generation, pairs[s].priority >= pairs[i].priority,
           selectionAnswers(now: now)
        {
            return
        }
        select(i, now: now)
    }

    /// Makes pair `i` the selected pair and restarts consent on it.
    mutating func select(_ i: Int, now: Instant) {
        selectedPairID = pairs[i].id
        consentExpired = false
        lastConsent = now
        nextConsent = now + consentJitter()
        emit(.selectedPairChanged(publicPair(i)))
    }

    /// The last sign of life of the selected pair: a consent response, or data from the peer on it. The path counts
    /// as lost (`disconnected`) only when both are older than `consentLossTimeout`; consent itself — permission to
    /// send, `failed` after `consentExpiry` — stays with the STUN responses alone (RFC 7675 §5.1).
    var lastAlive: Instant { max(lastConsent, lastHeard) }

    /// Whether the selected pair answered consent within the last two consent intervals.
    func selectionAnswers(now: Instant) -> Bool {
        now - lastConsent < configuration.consentInterval * 2
    }

    /// As controlled: when the selected pair has gone silent for two consent intervals and another pair the peer
    /// nominated was heard from within that time, that one becomes the selected pair (the highest-priority such
    /// pair) — the peer moved its media there, so consent and media follow before the loss timeout.
    mutating func leaveSilentSelection(now: Instant) {
        guard role == .controlled, !consentExpired, let s = selectedPairID.flatMap({ pairIndex($0) }),
              !selectionAnswers(now: now)
        else { return }
        let recent = configuration.consentInterval * 2
        let alive = pairs.indices.filter { j in
            j != s && pairs[j].nominated && pairs[j].valid && pairs[j].generation == pairs[s].generation
                && (pairs[j].lastHeard.map { now - $0 < recent } ?? false)
        }
        guard let best = alive.max(by: { pairs[$0].priority < pairs[$1].priority }) else { return }
        select(best, now: now)
    }

    // MARK: Consent (RFC 7675)

    /// The consent interval randomized ×0.8–1.2 (RFC 7675 §5.1).
    mutating func consentJitter() -> Duration {
        let ns = configuration.consentInterval.nanosecondsClamped
        let factor = 0.8 + 0.4 * Double(rng.next() >> 11) / Double(UInt64(1) << 53)
        return .nanoseconds(Int64(Double(ns) * factor))
    }

    /// Sends a consent check on the selected pair when due (RFC 7675 §5.1).
    mutating func refreshConsent(now: Instant) {
        guard let id = selectedPairID, !consentExpired, now >= nextConsent, let i = pairIndex(id),
              let remote = remoteCredentials, let key = remoteKey
        else { return }
        nextConsent = now + consentJitter()
        let l = locals[pairs[i].local]
        let tid = STUNTransactionID.random(using: &rng)
        let attributes = [
            (try? STUNAttribute(STUNUsername(remote.usernameFragment + ":" + localCredentials.usernameFragment),
                                transactionID: tid)),
            STUNAttribute(STUNPriority(ICECandidate.priority(
                kind: .peerReflexive, localPreference: UInt16(truncatingIfNeeded: l.candidate.priority >> 8))),
                transactionID: tid),
            role == .controlling
                ? STUNAttribute(STUNICEControlling(tieBreaker: tieBreaker), transactionID: tid)
                : STUNAttribute(STUNICEControlled(tieBreaker: tieBreaker), transactionID: tid),
        ].compactMap { $0 }
        // One send each: the next consent check is the retransmission.
        startTransaction(.consent(pair: id), tid: tid, attributes: attributes, key: key, from: l,
                         to: pairs[i].remote.address, maxSends: 1, now: now)
    }

    // MARK: State

    /// Derives the connection state from the selected pair, consent and the checklist.
    mutating func updateState(now: Instant) {
        guard connectionState != .closed else { return }
        if selectedPairID != nil, !consentExpired {
            let silence = now - lastConsent
            if silence >= configuration.consentExpiry {
                consentExpired = true
                transactions = transactions.filter {
                    if case .consent = $0.value.purpose { return false }
                    return true
                }
                setState(.failed)
            } else if now - lastAlive >= configuration.consentLossTimeout {
                setState(.disconnected)
            } else {
                let pending = pairs.contains {
                    $0.inChecklist && $0.generation == generation
                        && ($0.state == .waiting || $0.state == .inProgress || $0.state == .frozen)
                } || hasLiveTriggers || nominationInFlight != nil
                setState(pending || !hasNominatedInGeneration ? .connected : .completed)
            }
            return
        }
        if consentExpired { return }
        let current = pairs.filter { $0.inChecklist && $0.generation == generation }
        let checksInFlight = transactions.values.contains {
            if case .check = $0.purpose { return true }
            return false
        }
        // Failed only when neither side can add a pair any more (RFC 8445 §8.1.2, RFC 8838 §4.4): the peer said
        // end-of-candidates *and* our own gathering is over — a relay-only agent whose allocations are still
        // pending has no pair yet, and that is not failure.
        if remoteEndOfCandidates, gatheringCompleteSent, canCheck, current.allSatisfy({ $0.state == .failed }),
           !checksInFlight,
           !hasLiveTriggers, !pairs.contains(where: { $0.valid && $0.generation == generation })
        {
            setState(.failed)
        } else if remoteCredentials != nil, !current.isEmpty {
            setState(.checking)
        }
    }
}
