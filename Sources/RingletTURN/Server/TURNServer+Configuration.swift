import RingletCore
import RingletSTUN

extension CodedError.Code where Domain == TURNErrors {
    /// A `TURNServer.Configuration` value is out of range or inconsistent.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
}

extension TURNServer {
    /// How a TURN server behaves: credentials, lifetimes, quotas and the peer-address policy (RFC 8656 §7, §9).
    ///
    /// A plain struct with documented defaults; ``TURNServer/init(configuration:now:unixTime:random:)``
    /// validates it once (``validate()``).
    public struct Configuration: Sendable {
        /// What allocation quotas count: the whole REST username, or only its `id` part (after the first ':'),
        /// so that renewed credentials for the same device share one quota.
        public enum QuotaScope: Hashable, Sendable {
            /// Count per username (`expiry:id`).
            case username
            /// Count per `id` (default).
            case id
        }

        /// The shared secret of the TURN REST convention: password = base64(HMAC-SHA1(secret, username)).
        public var sharedSecret: Redacted<[UInt8]>
        /// The REALM sent in 401/438 answers and used in the long-term key (RFC 8489 §9.2). Default "ringlet".
        public var realm: String = "ringlet"
        /// SOFTWARE in every response (RFC 8489 §14.14), or nil for none. Default "Ringlet".
        public var software: String? = "Ringlet"
        /// Lifetime of an allocation when the client asks for less or for nothing (RFC 8656 §7.2). 600 s.
        public var defaultLifetime: Duration = .seconds(600)
        /// Upper bound of an allocation's lifetime (RFC 8656 §7.2). 3600 s.
        public var maxLifetime: Duration = .seconds(3600)
        /// How long a NONCE the server hands out stays valid; a new one is minted every half of it, and the
        /// previous one keeps working until its own end (RFC 8489 §9.2). 600 s.
        public var nonceLifetime: Duration = .seconds(600)
        /// Allocations one user may hold at once (counted per ``quotaScope``); more get 486. Default 16.
        public var maxAllocationsPerUser: Int = 16
        /// What the per-user quota counts. Default `.id`.
        public var quotaScope: QuotaScope = .id
        /// Allocations the server holds at once (pending ones included); more get 508. Default 10 000.
        public var maxAllocations: Int = 10_000
        /// Permissions one allocation may hold; a CreatePermission or ChannelBind past it gets 508. Default 256.
        public var maxPermissionsPerAllocation: Int = 256
        /// Let clients create permissions for loopback peers (127/8, ::1). Default false (403).
        public var allowLoopbackPeers: Bool = false
        /// Let clients create permissions for private (RFC 1918, 100.64/10, fc00::/7) and link-local
        /// (169.254/16, fe80::/10) peers. Default false (403). Unspecified, "this network" (0/8), broadcast
        /// and multicast peers are always refused.
        public var allowPrivatePeers: Bool = false
        /// Networks whose peers are always refused (403), whatever the settings above allow: by default the cloud
        /// metadata services (169.254.169.254/32, AWS's fd00:ec2::254/128), which hand out instance credentials
        /// to whoever asks from the instance.
        public var deniedPeerNetworks: [IPNetwork] = TURNServer.cloudMetadataNetworks
        /// Peer transport addresses always refused: the server's own service ports (this TURN listener, the HTTP
        /// API, metrics) on each of its addresses, so that a relay cannot be used to reach the server itself,
        /// even where loopback or private peers are allowed. The shell or the composition fills it in.
        public var deniedPeerAddresses: Set<TransportAddress> = []
        /// The server's own IP addresses: peers there are refused, except the relayed transport addresses of this
        /// server's own allocations (two of its clients relaying to each other, a TURN-only call). Loopback
        /// addresses are left out when ``allowLoopbackPeers`` is set (one-machine tests), where
        /// ``deniedPeerAddresses`` still keeps the service ports out of reach.
        public var ownAddresses: Set<IPAddress> = []
        /// Bytes per second one allocation may relay, both directions together (a burst of one second's worth);
        /// more is dropped. 0: unlimited. Default 1 250 000 (10 Mbit/s).
        public var allocationBytesPerSecond: Int = 1_250_000
        /// Bytes per second all allocations together may relay; more is dropped. 0: unlimited. Default
        /// 125 000 000 (1 Gbit/s).
        public var totalBytesPerSecond: Int = 125_000_000
        /// Answers per second one source IP gets to UDP requests that carry no valid credentials (401, 438, 400
        /// before authentication) and to Binding requests: what a spoofed source could reflect at a victim.
        /// Past the burst they are dropped and counted. Default 20.
        public var unauthenticatedAnswersPerSecond: Double = 20
        /// The burst of those answers per source IP. Default 100.
        public var unauthenticatedAnswerBurst: Double = 100
        /// Relayed address families the server offers (REQUESTED-ADDRESS-FAMILY, RFC 8656 §7.2); others get
        /// 440. Default IPv4 only.
        public var relayAddressFamilies: Set<IPAddress.Family> = [.v4]
        /// Answer classic RFC 3489 Binding requests (no magic cookie) with MAPPED-ADDRESS. Default true.
        public var answersClassicSTUN: Bool = true
        /// Bind and relay channel numbers 0x4000–0x7FFF (RFC 5766 §11), as coturn does, rather than only RFC 8656
        /// §12's 0x4000–0x4FFF (a ChannelBind outside the accepted range gets 400). Default true: clients built
        /// on RFC 5766, e.g. coturn's `turnutils_uclient`, pick numbers above 0x4FFF, and the first two bits
        /// (`01`) still tell ChannelData from STUN. See docs/turn-server.md.
        public var acceptsRFC5766ChannelNumbers: Bool = true

        /// A configuration with the given shared secret and every other field at its default.
        public init(sharedSecret: [UInt8]) {
            self.sharedSecret = Redacted(sharedSecret)
        }

        /// Checks every field once.
        /// - Throws: `invalidConfiguration` naming the field: an empty secret, a realm or software text STUN
        ///   cannot carry, a non-positive lifetime, a default lifetime above the maximum, a maximum above
        ///   2^32-1 s, a quota below 1, or no relay family.
        public func validate() throws(TURNError) {
            func fail(_ field: String, _ why: String) -> TURNError { TURNError(.invalidConfiguration, field: field, why) }
            guard !sharedSecret.value.isEmpty else { throw fail("sharedSecret", "empty") }
            guard (try? STUNRealm(realm)) != nil, !realm.isEmpty else { throw fail("realm", "empty or too long") }
            if let software, (try? STUNSoftware(software)) == nil { throw fail("software", "too long") }
            guard defaultLifetime > .zero else { throw fail("defaultLifetime", "must be positive") }
            guard maxLifetime >= defaultLifetime else { throw fail("maxLifetime", "below defaultLifetime") }
            guard maxLifetime <= .seconds(Int64(UInt32.max)) else { throw fail("maxLifetime", "above 2^32-1 s") }
            guard nonceLifetime >= .seconds(2) else { throw fail("nonceLifetime", "below 2 s") }
            guard maxAllocationsPerUser >= 1 else { throw fail("maxAllocationsPerUser", "below 1") }
            guard maxAllocations >= 1 else { throw fail("maxAllocations", "below 1") }
            guard maxPermissionsPerAllocation >= 1 else { throw fail("maxPermissionsPerAllocation", "below 1") }
            guard !relayAddressFamilies.isEmpty else { throw fail("relayAddressFamilies", "empty") }
            guard allocationBytesPerSecond >= 0 else { throw fail("allocationBytesPerSecond", "below 0") }
            guard totalBytesPerSecond >= 0 else { throw fail("totalBytesPerSecond", "below 0") }
            guard unauthenticatedAnswersPerSecond > 0, unauthenticatedAnswerBurst >= 1 else {
                throw fail("unauthenticatedAnswersPerSecond", "must allow some answers")
            }
        }
    }

    /// The cloud metadata services: AWS, GCP, Azure and others answer at 169.254.169.254; AWS also at
    /// fd00:ec2::254.
    public static let cloudMetadataNetworks: [IPNetwork] = [
        IPNetwork(IPAddress(169, 254, 169, 254), prefixLength: 32),
        IPAddress("fd00:ec2::254").flatMap { IPNetwork($0, prefixLength: 128) },
    ].compactMap { $0 }

    /// The channel numbers this server binds: ``Configuration/acceptsRFC5766ChannelNumbers`` decides.
    public var channelNumbers: ClosedRange<UInt16> {
        configuration.acceptsRFC5766ChannelNumbers ? ChannelData.rfc5766ChannelNumberRange
            : ChannelData.channelNumberRange
    }
}
