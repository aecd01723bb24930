import RingletCore

extension TURNClient {
    /// How a ``TURNClient`` talks to its server: where, over which transport, with which credentials, and its
    /// timers. Defaults follow RFC 8656 and RFC 8489; every field is validated once by ``TURNClient/init(configuration:random:)``.
    public struct Configuration: Sendable {
        /// The TURN server's transport address (where ``TURNClient/Output/transmit(_:)`` bytes go).
        public var server: TransportAddress
        /// The transport to the server: `.udp` (one message per datagram, retransmissions) or `.tcp` (a byte
        /// stream, no retransmissions, ChannelData padded; RFC 8656 §12.5).
        public var transport: TransportProtocol
        /// The long-term credential username (for TURN REST credentials, `"expiry:id"`; RFC 8489 §9.2).
        public var username: String
        /// The long-term credential password, redacted when printed.
        public var password: Redacted<String>
        /// LIFETIME to ask for in Allocate and Refresh, in seconds; nil lets the server choose (RFC 8656 §7.1).
        public var requestedLifetime: UInt32?
        /// The initial retransmission timeout over UDP (RFC 8489 §6.2.1: 500 ms, doubled after each send).
        public var rto: Duration = .milliseconds(500)
        /// How many times a request is sent over UDP before it gives up (Rc, RFC 8489 §6.2.1: 7).
        public var maxRequestSends: Int = 7
        /// After the last send over UDP, the client waits this many RTOs for a response (Rm, RFC 8489 §6.2.1: 16).
        public var finalWaitMultiplier: Int = 16
        /// How long a request over TCP waits for its response (Ti, RFC 8489 §6.2.2: 39.5 s).
        public var tcpTransactionTimeout: Duration = .milliseconds(39_500)
        /// The allocation is refreshed this long before it expires, or at half its lifetime when the lifetime is
        /// shorter than twice this (RFC 8656 §8).
        public var refreshMargin: Duration = .seconds(60)
        /// Permissions last 300 s (RFC 8656 §9); each is refreshed after this long.
        public var permissionRefreshInterval: Duration = .seconds(240)
        /// Channel bindings last 600 s (RFC 8656 §12); each is refreshed after this long.
        public var channelRefreshInterval: Duration = .seconds(540)
        /// Whether ``TURNClient/sendToPeer(_:to:now:)`` binds a channel to each peer it sends to, so that later data
        /// travels as ChannelData (4-byte header) instead of Send indications (36+ bytes).
        public var autoBindChannels: Bool = true
        /// Data for a peer waiting for its permission is queued up to this many packets; older ones are dropped.
        public var maxQueuedPerPeer: Int = 32
        /// How many 438 (Stale Nonce) answers one request may get before the client gives up.
        public var maxStaleNonceRetries: Int = 3
        /// A SOFTWARE attribute for requests, or nil for none (RFC 8489 §14.14).
        public var software: String?
        /// Whether requests carry FINGERPRINT (RFC 8489 §14.7).
        public var fingerprint: Bool = false

        /// A configuration with the defaults above.
        public init(server: TransportAddress, transport: TransportProtocol = .udp, username: String, password: String,
                    requestedLifetime: UInt32? = nil)
        {
            self.server = server
            self.transport = transport
            self.username = username
            self.password = Redacted(password)
            self.requestedLifetime = requestedLifetime
        }

        /// Checks the fields; throws `invalidArgument` naming the first bad one.
        func validate() throws(TURNError) {
            func bad(_ field: String, _ why: String) -> TURNError { TURNError(.invalidArgument, field: field, why) }
            guard rto > .zero else { throw bad("rto", "must be positive") }
            guard maxRequestSends >= 1, maxRequestSends <= 30 else { throw bad("maxRequestSends", "must be 1–30") }
            guard finalWaitMultiplier >= 1, finalWaitMultiplier <= 1_000 else {
                throw bad("finalWaitMultiplier", "must be 1–1000")
            }
            guard tcpTransactionTimeout > .zero else { throw bad("tcpTransactionTimeout", "must be positive") }
            guard refreshMargin > .zero else { throw bad("refreshMargin", "must be positive") }
            guard permissionRefreshInterval > .zero, permissionRefreshInterval < .seconds(300) else {
                throw bad("permissionRefreshInterval", "must be positive and under the 300 s permission lifetime")
            }
            guard channelRefreshInterval > .zero, channelRefreshInterval < .seconds(600) else {
                throw bad("channelRefreshInterval", "must be positive and under the 600 s channel lifetime")
            }
            guard maxQueuedPerPeer >= 0 else { throw bad("maxQueuedPerPeer", "must not be negative") }
            guard maxStaleNonceRetries >= 0 else { throw bad("maxStaleNonceRetries", "must not be negative") }
            guard !username.isEmpty, username.utf8.count < 513 else { throw bad("username", "must be 1–512 bytes") }
            if let s = software, s.utf8.count >= 763 { throw bad("software", "must be under 763 bytes") }
        }
    }
}
