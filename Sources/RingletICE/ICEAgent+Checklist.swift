import RingletCore
import RingletSTUN

/// A local candidate with the socket it sends from.
struct LocalEntry {
    var candidate: ICECandidate
    /// The base (RFC 8445 §5.1.1.1): the socket address, or the relayed address for a relayed candidate.
    let base: TransportAddress
    /// The TURN server of a relayed candidate (or of a prflx candidate learned through one).
    let relayServer: TransportAddress?

    /// Whether checks are sent from this candidate (host and relayed; srflx ones are replaced by their base,
    /// RFC 8445 §6.1.2.4, and prflx ones only appear in valid pairs).
    var pairs: Bool {
        candidate.transport == .udp && (candidate.kind == .host || candidate.kind == .relayed)
    }
}

/// The state of a pair in the checklist (RFC 8445 §6.1.2.6).
enum PairState: Hashable {
    case frozen, waiting, inProgress, succeeded, failed
}

/// A candidate pair in the checklist or the valid list.
struct PairEntry {
    let id: Int
    let local: Int
    var remote: ICECandidate
    var priority: UInt64
    var state: PairState
    /// False for pairs only in the valid list (prflx local) or carried over from an older generation.
    var inChecklist: Bool
    let generation: Int
    let foundation: String
    var valid = false
    var validPairID: Int?
    var nominated = false
    var remoteNominated = false
    var nominateOnNextCheck = false
    /// When the peer last showed this pair works: a success response to our check on it, or its check on it.
    var lastHeard: Instant?
}

/// A STUN request in flight.
struct Transaction {
    enum Purpose {
        case check(pair: Int, useCandidate: Bool, role: ICEAgent.Role, priority: UInt32)
        case gather(base: TransportAddress, server: TransportAddress)
        case consent(pair: Int)
    }

    let purpose: Purpose
    let transmit: ICEAgent.Transmit
    let key: STUNIntegrityKey?
    var sends: Int
    var rto: Duration
    var deadline: Instant
    let maxSends: Int
}

extension ICEAgent {
    // MARK: Local candidates

    /// Adds a host candidate: a UDP socket bound at `address` (RFC 8445 §5.1.1.1). The agent pairs it with the
    /// remote candidates and, for each configured STUN server of the same family, gathers a server-reflexive
    /// candidate (reported as ``Event/localCandidate(_:)``).
    /// - Parameters:
    ///   - address: the socket's local address (not a wildcard).
    ///   - localPreference: 65535 for the preferred interface, lower for others (RFC 8445 §5.1.2.1).
    /// - Returns: the candidate to signal to the peer.
    @discardableResult
    public mutating func addHostCandidate(
        _ address: TransportAddress, localPreference: UInt16 = 65535, now: Instant
    ) -> ICECandidate? {
        guard connectionState != .closed, !locals.contains(where: { $0.base == address }) else { return nil }
        guard let c = try? ICECandidate(
            foundation: ICECandidate.foundation(kind: .host, baseIP: address.ip),
            priority: ICECandidate.priority(kind: .host, localPreference: localPreference),
            address: address, kind: .host)
        else { return nil }
        addLocal(LocalEntry(candidate: c, base: address, relayServer: nil))
        for server in configuration.stunServers where server.ip.family == address.ip.family {
            pendingGathers.append((address, server))
        }
        return c
    }

    /// Adds a relayed candidate that the caller's TURN client allocated (RFC 8445 §5.1.1.2): datagrams from it
    /// leave as ``Transmit``s with ``Transmit/relayServer`` = `server`, and datagrams the relay delivers must be
    /// handed in with `to:` = `relayed`.
    /// - Parameters:
    ///   - relayed: the XOR-RELAYED-ADDRESS of the allocation.
    ///   - mapped: the allocation's XOR-MAPPED-ADDRESS, signalled as the related address.
    ///   - server: the TURN server's address.
    ///   - serverTransport: the transport the allocation was made over (UDP, or TCP/TLS): part of the foundation,
    ///     so relayed candidates of one server over UDP and over TCP are checked independently (RFC 8445 §5.1.1.3).
    /// - Returns: the candidate to signal to the peer.
    @discardableResult
    public mutating func addRelayedCandidate(
        relayed: TransportAddress, mapped: TransportAddress?, server: TransportAddress,
        serverTransport: TransportProtocol = .udp, now: Instant
    ) -> ICECandidate? {
        guard connectionState != .closed, !locals.contains(where: { $0.base == relayed }) else { return nil }
        guard let c = try? ICECandidate(
            foundation: ICECandidate.foundation(kind: .relayed, baseIP: relayed.ip, server: server.ip,
                                                transport: serverTransport),
            priority: ICECandidate.priority(kind: .relayed), address: relayed, kind: .relayed,
            relatedAddress: mapped)
        else { return nil }
        addLocal(LocalEntry(candidate: c, base: relayed, relayServer: server))
        return c
    }

    /// Says that the caller will add no more local candidates; once server-reflexive gathering is done the
    /// agent emits ``Event/gatheringComplete`` (RFC 8838 §4.3).
    public mutating func endOfLocalCandidates(now: Instant) {
        localEndOfCandidates = true
        checkGatheringComplete()
        updateState(now: now)
    }

    /// Gives up on server-reflexive gathering still under way (requests not sent yet and those awaiting an
    /// answer): the caller's gathering deadline has passed. Completes gathering if the caller has said
    /// ``endOfLocalCandidates(now:)``. Returns how many gathers were abandoned.
    @discardableResult
    public mutating func abandonGathering(now: Instant) -> Int {
        var abandoned = pendingGathers.count
        pendingGathers.removeAll()
        for (id, t) in transactions {
            if case .gather = t.purpose {
                transactions.removeValue(forKey: id)
                abandoned += 1
            }
        }
        checkGatheringComplete()
        updateState(now: now)
        return abandoned
    }

    mutating func addLocal(_ entry: LocalEntry) {
        locals.append(entry)
        guard entry.pairs else { return }
        let index = locals.count - 1
        for r in remotes { addPair(local: index, remote: r) }
    }

    mutating func checkGatheringComplete() {
        guard localEndOfCandidates, !gatheringCompleteSent, pendingGathers.isEmpty else { return }
        for t in transactions.values {
            if case .gather = t.purpose { return }
        }
        gatheringCompleteSent = true
        emit(.gatheringComplete)
    }

    // MARK: Remote side

    /// Sets the peer's credentials (from its SDP). New credentials after earlier ones mean the peer restarted
    /// ICE (RFC 8445 §9): a new generation of checks begins; the caller should restart its own side too (new
    /// local credentials in its answer) unless it started the restart.
    /// - Throws: `crypto` if the HMAC cannot be set up.
    public mutating func setRemoteCredentials(_ credentials: Credentials, now: Instant) throws(ICEError) {
        guard connectionState != .closed, credentials != remoteCredentials else {
            awaitingRemoteRestart = false
            return
        }
        let key = try ICEAgent.key(credentials)
        if remoteCredentials != nil, !awaitingRemoteRestart { beginGeneration() }
        remoteCredentials = credentials
        remoteKey = key
        awaitingRemoteRestart = false
        updateState(now: now)
    }

    /// Adds a remote candidate, signalled in SDP or trickled at any time (RFC 8838 §4.2). Ignored: TCP
    /// candidates, components other than 1, and candidates whose `ufrag` extension names another generation.
    /// - Returns: whether the candidate was taken.
    @discardableResult
    public mutating func addRemoteCandidate(_ candidate: ICECandidate, now: Instant) -> Bool {
        guard connectionState != .closed, candidate.transport == .udp, candidate.component == 1 else { return false }
        if let u = candidate.usernameFragment, let r = remoteCredentials, u != r.usernameFragment,
           !awaitingRemoteRestart
        {
            return false
        }
        if let i = remotes.firstIndex(where: { $0.address == candidate.address }) {
            // A signalled candidate replaces a peer-reflexive one learned earlier (RFC 8445 §7.3.1.3).
            guard remotes[i].kind == .peerReflexive else { return false }
            remotes[i] = candidate
            var selectedChanged: Int?
            for j in pairs.indices where pairs[j].generation == generation && pairs[j].remote.address == candidate.address {
                pairs[j].remote = candidate
                if pairs[j].id == selectedPairID { selectedChanged = j }
            }
            recomputePriorities()
            // The selected pair now knows what its remote really is (a relay, say, that checked before it was
            // signalled): say so again, so that "direct or relayed" is not left on the peer-reflexive guess.
            if let j = selectedChanged, !consentExpired { emit(.selectedPairChanged(publicPair(j))) }
            return true
        }
        remotes.append(candidate)
        for i in locals.indices where locals[i].pairs { addPair(local: i, remote: candidate) }
        updateState(now: now)
        return true
    }

    /// Says the peer signalled end-of-candidates (RFC 8838 §4.3): once every pair has failed, ICE fails.
    public mutating func endOfRemoteCandidates(now: Instant) {
        remoteEndOfCandidates = true
        updateState(now: now)
    }

    /// Restarts ICE from this side (RFC 8445 §9): new local credentials (signal them in a new offer), a new
    /// generation of checks once the peer's new credentials arrive. The selected pair keeps carrying data, and
    /// checks with the old credentials are still answered, until a new pair is nominated.
    /// - Throws: `crypto` if the HMAC cannot be set up.
    public mutating func restart<G: RandomNumberGenerator>(using rng: inout G, now: Instant) throws(ICEError) {
        guard connectionState != .closed else { return }
        let c = Credentials.random(using: &rng)
        let key = try ICEAgent.key(c)
        previousLocal = (localCredentials, localKey)
        localCredentials = c
        localKey = key
        beginGeneration()
        awaitingRemoteRestart = true
        updateState(now: now)
    }

    mutating func beginGeneration() {
        generation &+= 1
        pairs.removeAll { $0.id != selectedPairID }
        for i in pairs.indices { pairs[i].inChecklist = false }
        remotes.removeAll()
        triggered.removeAll()
        transactions = transactions.filter {
            if case .check = $0.value.purpose { return false }
            return true
        }
        remoteEndOfCandidates = false
        nominationInFlight = nil
        firstValidAt = nil
        if consentExpired {
            consentExpired = false
            selectedPairID = nil
            pairs.removeAll()
        }
    }

    // MARK: Pairs

    func pairIndex(_ id: Int) -> Int? { pairs.firstIndex(where: { $0.id == id }) }

    func publicPair(_ i: Int) -> ICECandidatePair {
        let p = pairs[i], l = locals[p.local]
        return ICECandidatePair(
            id: ICECandidatePair.ID(rawValue: p.id), local: l.candidate, remote: p.remote, priority: p.priority,
            localBase: l.base, relayServer: l.relayServer)
    }

    func pairPriority(local: ICECandidate, remote: ICECandidate) -> UInt64 {
        role == .controlling
            ? ICECandidatePair.priority(controlling: local.priority, controlled: remote.priority)
            : ICECandidatePair.priority(controlling: remote.priority, controlled: local.priority)
    }

    mutating func recomputePriorities() {
        for i in pairs.indices {
            pairs[i].priority = pairPriority(local: locals[pairs[i].local].candidate, remote: pairs[i].remote)
        }
    }

    /// Forms a pair (RFC 8445 §6.1.2.2) if the families match and it is not redundant (§6.1.2.4); keeps the
    /// checklist within ``Configuration/maxPairs`` (§6.1.2.5). Returns the pair's index.
    @discardableResult
    mutating func addPair(local: Int, remote: ICECandidate, inChecklist: Bool = true) -> Int? {
        let l = locals[local]
        guard l.base.ip.family == remote.address.ip.family else { return nil }
        if let i = pairs.firstIndex(where: {
            $0.generation == generation && locals[$0.local].base == l.base && $0.remote.address == remote.address
                && $0.local == local
        }) {
            return i
        }
        let foundation = l.candidate.foundation + ":" + remote.foundation
        let priority = pairPriority(local: l.candidate, remote: remote)
        if inChecklist {
            let current = pairs.indices.filter { pairs[$0].inChecklist && pairs[$0].generation == generation }
            if current.count >= configuration.maxPairs {
                guard let lowest = current.filter({ pairs[$0].state == .frozen || pairs[$0].state == .waiting })
                    .min(by: { pairs[$0].priority < pairs[$1].priority }),
                    pairs[lowest].priority < priority
                else { return nil }
                let id = pairs[lowest].id
                pairs.remove(at: lowest)
                triggered.removeAll { $0 == id }
            }
        }
        let sameFoundation = pairs.contains {
            $0.generation == generation && $0.inChecklist && $0.foundation == foundation && $0.state != .succeeded
        }
        let state: PairState = inChecklist ? (sameFoundation ? .frozen : .waiting) : .succeeded
        nextPairID &+= 1
        pairs.append(PairEntry(
            id: nextPairID, local: local, remote: remote, priority: priority, state: state,
            inChecklist: inChecklist, generation: generation, foundation: foundation))
        return pairs.count - 1
    }

    var canCheck: Bool { remoteKey != nil && !awaitingRemoteRestart && connectionState != .closed }

    /// The one paced transaction that is due next (RFC 8445 §6.1.4.2), in the order ``sendPaced(now:)`` sends them.
    enum PacedWork {
        /// A triggered check of pair index `i`.
        case triggered(Int)
        /// A server-reflexive gathering request.
        case gather
        /// The ordinary check of the highest-priority Waiting pair `i`.
        case waiting(Int)
        /// A Frozen pair `i` whose foundation has no pair Waiting or In-Progress: unfrozen and checked.
        case unfreeze(Int)
    }

    /// What the next Ta tick would send, or nil when nothing can go out now. The only place that decides it:
    /// ``hasPacedWork`` (which arms the pacing timer) and ``sendPaced(now:)`` (which acts) both ask here, so the
    /// timer is never due while the tick has nothing to send. (They once disagreed: Frozen pairs behind an
    /// In-Progress check of their foundation counted as work, sent nothing, and left the timer due — a shell
    /// spun on it without reading its sockets.)
    func nextPacedWork() -> PacedWork? {
        if canCheck {
            for id in triggered {
                guard let i = pairIndex(id), isLiveTrigger(i) else { continue }
                return .triggered(i)
            }
        }
        if !pendingGathers.isEmpty { return .gather }
        guard canCheck else { return nil }
        let current = pairs.indices.filter { pairs[$0].inChecklist && pairs[$0].generation == generation }
        if let i = current.filter({ pairs[$0].state == .waiting }).max(by: { pairs[$0].priority < pairs[$1].priority }) {
            return .waiting(i)
        }
        let busy = Set(current.filter { pairs[$0].state == .waiting || pairs[$0].state == .inProgress }
            .map { pairs[$0].foundation })
        if let i = current.filter({ pairs[$0].state == .frozen && !busy.contains(pairs[$0].foundation) })
            .max(by: { pairs[$0].priority < pairs[$1].priority })
        {
            return .unfreeze(i)
        }
        return nil
    }

    /// Whether a triggered check of pair `i` still has something to do: a pair already checking or succeeded
    /// needs none, unless it is to carry USE-CANDIDATE.
    func isLiveTrigger(_ i: Int) -> Bool {
        (pairs[i].state != .inProgress && pairs[i].state != .succeeded) || pairs[i].nominateOnNextCheck
    }

    /// Whether a paced transaction is waiting to go out.
    var hasPacedWork: Bool { nextPacedWork() != nil }

    /// Whether a triggered check still has something to do.
    var hasLiveTriggers: Bool { triggered.contains { pairIndex($0).map(isLiveTrigger) ?? false } }

    /// Sends one paced transaction (RFC 8445 §6.1.4.2): a triggered check, else a gathering request, else the
    /// highest-priority Waiting pair, else unfreezes a Frozen pair whose foundation has none Waiting or
    /// In-Progress. Triggered entries with nothing left to do are dropped. Returns whether something was sent.
    mutating func sendPaced(now: Instant) -> Bool {
        let live = triggered.filter { id in pairIndex(id).map(isLiveTrigger) ?? false }
        triggered = live
        switch nextPacedWork() {
        case .triggered(let i):
            triggered.removeAll { $0 == pairs[i].id }
            sendCheck(i, now: now)
        case .gather:
            let g = pendingGathers.removeFirst()
            sendGather(base: g.base, server: g.server, now: now)
        case .waiting(let i), .unfreeze(let i):
            sendCheck(i, now: now)
        case nil:
            return false
        }
        return true
    }

    mutating func enqueueTriggered(_ i: Int) {
        let id = pairs[i].id
        if !triggered.contains(id) { triggered.append(id) }
    }
}
