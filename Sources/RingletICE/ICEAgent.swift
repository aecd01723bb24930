import RingletCore
import RingletSTUN

/// A full ICE agent (RFC 8445) with trickle (RFC 8838) and consent freshness (RFC 7675), as a sans-IO state
/// machine for one data stream with one component (BUNDLE + rtcp-mux, as browsers use it).
///
/// ## Drain contract
/// The caller owns sockets and the clock. After **every** input (`handle…`, `add…`, `set…`, `restart`,
/// `close`) it drains ``pollOutput()`` until nil, sending each ``Transmit`` and acting on each ``Event``; then it
/// arms a timer for ``pollTimeout()`` (an instant at or before `now` means "call ``handleTimeout(now:)`` right
/// away") and calls ``handleTimeout(now:)`` when it passes. Received datagrams on any candidate socket (and
/// datagrams that arrived through a TURN relay, unwrapped, addressed to the relayed address) go to
/// ``handleDatagram(_:from:to:now:)``, which consumes ICE's STUN and tells the caller when the bytes are
/// application data (DTLS, SRTP) of a pair.
///
/// Randomness (credentials, tie-breaker, transaction IDs, consent jitter) comes from the generator given to
/// ``init(configuration:role:using:)`` and ``restart(using:now:)``; the agent keeps a seeded stream drawn from it,
/// so a fixed seed gives the same run.
///
/// ## States (named like `RTCIceConnectionState`)
/// ```
///            remote credentials + a pair
///   new ───────────────────────────────▶ checking ──(all pairs failed after end-of-candidates)──▶ failed
///                                          │                                                     ▲
///                              a pair is nominated (selected)                                     │
///                                          ▼                                                     │
///                    ┌──────────────▶ connected ◀──▶ completed (no checks left)                  │
///                    │ consent response    │                                                     │
///                    │                     │ no consent response for `consentLossTimeout` (5 s)  │
///                    │                     ▼                                                     │
///                    └──────────────── disconnected ──(no consent for `consentExpiry`, 30 s)─────┘
///   any ──close()──▶ closed
/// ```
/// An ICE restart (``restart(using:now:)`` or new remote credentials) starts a new generation of checks while
/// the selected pair keeps carrying data until the new generation nominates a pair.
///
/// ## Relayed candidates
/// The caller's TURN client owns allocations. ``addRelayedCandidate(relayed:mapped:server:now:)`` tells the agent
/// a relayed address exists; a ``Transmit`` whose ``Transmit/relayServer`` is set must be sent through that
/// allocation (Send indication or ChannelData to the peer `datagram.destination`), and data the relay delivers
/// is passed to ``handleDatagram(_:from:to:now:)`` with `from` = the peer and `to` = the relayed address.
///
/// Not `Sendable`: it holds OpenSSL HMAC contexts. Use one agent from one task at a time.
public struct ICEAgent {
    /// The agent's role (RFC 8445 §6.1.1).
    public enum Role: String, Hashable, Sendable {
        /// Decides which pair is used (sends USE-CANDIDATE). The offerer in browsers' usage.
        case controlling
        /// Follows the controlling agent's nomination.
        case controlled
    }

    /// The connection state, named like `RTCIceConnectionState` (W3C WebRTC §5.6).
    public enum ConnectionState: String, Hashable, Sendable {
        /// Waiting for remote credentials and candidates.
        case new
        /// Checks are running, no pair selected yet.
        case checking
        /// A pair is selected and consent is fresh.
        case connected
        /// A pair is selected and no checks are left in the current generation.
        case completed
        /// No consent response on the selected pair for ``Configuration/consentLossTimeout``: the path is lost
        /// for now (RFC 7675 §5.1); a later response returns to `connected`.
        case disconnected
        /// All checks failed, or consent expired (RFC 7675 §5.1); the agent no longer sends data.
        case failed
        /// ``close(now:)`` was called.
        case closed
    }

    /// ICE credentials of one side (RFC 8445 §5.3, RFC 8839 §5.4).
    public struct Credentials: Hashable, Sendable {
        /// The username fragment: 4 to 256 `ice-char`s.
        public let usernameFragment: String
        /// The password: 22 to 256 `ice-char`s; redacted in descriptions.
        public let password: Redacted<String>

        /// Makes credentials, checking lengths and characters (RFC 8839 §5.4).
        /// - Throws: `ICEError.Code.invalidCredentials`.
        public init(usernameFragment: String, password: String) throws(ICEError) {
            let u = usernameFragment.utf8, p = password.utf8
            guard (4...256).contains(u.count), u.allSatisfy(ICECandidate.isICEChar) else {
                throw ICEError(.invalidCredentials, field: "ice-ufrag", "must be 4 to 256 ice-chars")
            }
            guard (22...256).contains(p.count), p.allSatisfy(ICECandidate.isICEChar) else {
                throw ICEError(.invalidCredentials, field: "ice-pwd", "must be 22 to 256 ice-chars")
            }
            self.usernameFragment = usernameFragment
            self.password = Redacted(password)
        }

        /// Random credentials: an 8-character ufrag and a 24-character password (RFC 8445 §5.3 asks for at least
        /// 24 and 128 bits of randomness; 24 `ice-char`s carry 144 bits).
        public static func random<G: RandomNumberGenerator>(using rng: inout G) -> Credentials {
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
            func text(_ n: Int) -> String {
                var bytes = [UInt8]()
                for _ in 0..<n { bytes.append(alphabet[Int(rng.next() & 63)]) }
                return String(decoding: bytes, as: UTF8.self)
            }
            let u = text(8), p = text(24)
            return Credentials(unchecked: u, p)
        }

        private init(unchecked u: String, _ p: String) {
            usernameFragment = u
            password = Redacted(p)
        }
    }

    /// A datagram to send, and how.
    public struct Transmit: Hashable, Sendable {
        /// The datagram: `source` is the local socket address (or, with ``relayServer``, the relayed address),
        /// `destination` the remote transport address.
        public let datagram: Datagram
        /// When set, send `datagram.payload` to `datagram.destination` through the TURN allocation on this
        /// server whose relayed address is `datagram.source`.
        public let relayServer: TransportAddress?
    }

    /// Something the caller should know about.
    public enum Event: Hashable, Sendable {
        /// The connection state changed.
        case connectionStateChanged(ConnectionState)
        /// A new pair carries data from now on (first nomination, a re-nomination, or after an ICE restart).
        case selectedPairChanged(ICECandidatePair)
        /// A local candidate to signal to the peer (trickle, RFC 8838 §4): a server-reflexive candidate gathered
        /// from a configured STUN server.
        case localCandidate(ICECandidate)
        /// Gathering finished after ``endOfLocalCandidates(now:)``: signal end-of-candidates (RFC 8838 §4.3).
        case gatheringComplete
        /// A role conflict made the agent change role (RFC 8445 §7.3.1.1, §7.2.5.1).
        case roleChanged(Role)
    }

    /// One output of the agent.
    public enum Output: Hashable, Sendable {
        /// A datagram to send.
        case transmit(Transmit)
        /// An event.
        case event(Event)
    }

    /// Why a received datagram was dropped (each is also counted in ``Statistics``).
    public enum DropReason: String, Hashable, Sendable {
        /// It looked like STUN but did not parse, or lacked a required attribute.
        case malformed
        /// MESSAGE-INTEGRITY or FINGERPRINT did not verify.
        case badIntegrity
        /// The USERNAME does not start with this agent's ufrag.
        case unknownUsername
        /// A response that matches no transaction in flight.
        case unmatchedResponse
        /// Arrived on an address that is no local candidate.
        case unknownLocalAddress
        /// Application data from an address that is no remote candidate of that local address.
        case unknownSource
        /// The agent is closed.
        case closed
    }

    /// What ``handleDatagram(_:from:to:now:)`` made of a datagram.
    public enum Received: Hashable, Sendable {
        /// An ICE STUN message, handled (drain ``pollOutput()``).
        case consumed
        /// Application data (DTLS, SRTP, …) on this pair: hand the bytes to the next layer.
        case applicationData(ICECandidatePair.ID)
        /// Dropped, for the reason given.
        case dropped(DropReason)
    }

    /// Counters of what the agent did and dropped.
    public struct Statistics: Hashable, Sendable {
        /// Datagrams that looked like STUN but were malformed.
        public var malformed = 0
        /// Messages whose integrity or fingerprint failed.
        public var badIntegrity = 0
        /// Requests for another ufrag.
        public var unknownUsername = 0
        /// Responses matching no transaction.
        public var unmatchedResponses = 0
        /// Datagrams on unknown local addresses or from unknown sources.
        public var unknownAddress = 0
        /// Connectivity checks and consent requests sent (first transmissions).
        public var requestsSent = 0
        /// Retransmissions of requests.
        public var retransmissions = 0
        /// Binding requests from the peer answered.
        public var requestsAnswered = 0
        /// 487 (Role Conflict) responses sent.
        public var roleConflictsSent = 0
    }

    // MARK: State

    let configuration: Configuration
    var rng: SeededRandom
    /// This agent's role.
    public internal(set) var role: Role
    /// The 64-bit tie-breaker (RFC 8445 §6.1.1, §7.3.1.1).
    public let tieBreaker: UInt64
    /// This agent's current credentials, to put in SDP (`a=ice-ufrag`, `a=ice-pwd`).
    public internal(set) var localCredentials: Credentials
    var localKey: STUNIntegrityKey
    /// The previous generation's credentials, still answered until a new pair is nominated.
    var previousLocal: (credentials: Credentials, key: STUNIntegrityKey)?
    /// The peer's credentials, once known.
    public internal(set) var remoteCredentials: Credentials?
    var remoteKey: STUNIntegrityKey?
    var awaitingRemoteRestart = false

    var locals: [LocalEntry] = []
    var remotes: [ICECandidate] = []
    var pairs: [PairEntry] = []
    var nextPairID = 0
    var generation = 0
    var triggered: [Int] = []
    var transactions: [STUNTransactionID: Transaction] = [:]
    var pendingGathers: [(base: TransportAddress, server: TransportAddress)] = []
    var localEndOfCandidates = false
    var gatheringCompleteSent = false
    var remoteEndOfCandidates = false

    var nextPacedSend = Instant.zero
    var firstValidAt: Instant?
    var nominationInFlight: Int?
    var selectedPairID: Int?
    var lastConsent = Instant.zero
    /// When data (anything but STUN) last came from the selected pair's remote on its local base.
    var lastHeard = Instant.zero
    var nextConsent = Instant.zero
    var consentExpired = false

    /// The connection state.
    public internal(set) var connectionState: ConnectionState = .new
    /// What the agent counted.
    public internal(set) var statistics = Statistics()

    var outputs = FIFOQueue<Output>()

    /// Makes an agent with fresh random credentials and tie-breaker.
    /// - Parameters:
    ///   - configuration: timers, STUN servers and limits; validated here.
    ///   - role: the initial role: controlling for the offerer of a browser-style session, controlled for the
    ///     answerer (RFC 8445 §6.1.1). Role conflicts are resolved later by tie-breaker.
    ///   - rng: the random source; the agent draws its seed, credentials and tie-breaker from it.
    /// - Throws: `invalidConfiguration` for a bad configuration; `crypto` if the HMAC cannot be set up.
    public init<G: RandomNumberGenerator>(
        configuration: Configuration = Configuration(), role: Role, using rng: inout G
    ) throws(ICEError) {
        try configuration.validate()
        self.configuration = configuration
        self.role = role
        self.tieBreaker = rng.next()
        self.rng = SeededRandom(seed: rng.next())
        let credentials = Credentials.random(using: &rng)
        self.localCredentials = credentials
        self.localKey = try ICEAgent.key(credentials)
    }

    static func key(_ c: Credentials) throws(ICEError) -> STUNIntegrityKey {
        do {
            return try STUNIntegrityKey.shortTerm(password: c.password.value)
        } catch {
            throw ICEError(.crypto, field: "ice-pwd", error.message, underlying: error)
        }
    }

    // MARK: Output

    /// The next output, or nil when drained. Call after every input until it returns nil.
    public mutating func pollOutput() -> Output? { outputs.popFirst() }

    mutating func emit(_ event: Event) { outputs.append(.event(event)) }

    // MARK: Queries

    /// The pair that carries data, if one is selected and consent has not expired.
    public var selectedPair: ICECandidatePair? {
        guard !consentExpired, let id = selectedPairID else { return nil }
        return pair(ICECandidatePair.ID(rawValue: id))
    }

    /// The pair with this ID, if it still exists.
    public func pair(_ id: ICECandidatePair.ID) -> ICECandidatePair? {
        guard let i = pairs.firstIndex(where: { $0.id == id.rawValue }) else { return nil }
        return publicPair(i)
    }

    /// The local candidates the agent knows (host and relayed ones given to it, srflx ones it gathered,
    /// prflx ones it learned).
    public var localCandidates: [ICECandidate] { locals.map(\.candidate) }

    /// The remote candidates the agent knows (signalled and peer-reflexive) in the current generation.
    public var remoteCandidates: [ICECandidate] { remotes }

    /// The datagram that carries `payload` on the selected pair, or nil if none is selected, consent has
    /// expired or the agent is closed (RFC 7675 §5.1: no sending without consent).
    public func transmit(applicationData payload: [UInt8]) -> Transmit? {
        guard connectionState != .closed, let p = selectedPair else { return nil }
        return Transmit(
            datagram: Datagram(source: p.localBase, destination: p.remote.address, payload: payload),
            relayServer: p.relayServer)
    }

    /// Stops the agent: no more outputs except the state change to `closed`; datagrams are dropped.
    public mutating func close(now: Instant) {
        guard connectionState != .closed else { return }
        transactions.removeAll()
        triggered.removeAll()
        pendingGathers.removeAll()
        setState(.closed)
    }

    mutating func setState(_ s: ConnectionState) {
        guard s != connectionState else { return }
        connectionState = s
        emit(.connectionStateChanged(s))
    }
}
