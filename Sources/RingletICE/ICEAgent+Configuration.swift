import RingletCore

extension ICEAgent {
    /// The agent's timers, servers and limits. Every field has a documented default; ``validate()`` runs once in
    /// the agent's initializer.
    public struct Configuration: Hashable, Sendable {
        /// Ta, the pacing interval between new STUN transactions (checks and gathering), RFC 8445 §14.2.
        /// Default 50 ms.
        public var checkInterval: Duration = .milliseconds(50)
        /// The initial retransmission timeout of checks and gathering requests, doubled after each
        /// retransmission (RFC 8445 §14.3, RFC 8489 §6.2.1). Default 500 ms.
        public var initialRTO: Duration = .milliseconds(500)
        /// Rc, the number of times a request is sent before it fails (RFC 8489 §6.2.1). Default 7.
        public var maxRequestCount = 7
        /// Rm: after the last send, a request fails after `Rm × initialRTO` (RFC 8489 §6.2.1). Default 16.
        public var finalTimeoutMultiplier = 16
        /// STUN servers for server-reflexive gathering (RFC 8445 §5.1.1.2). Default none.
        public var stunServers: [TransportAddress] = []
        /// The controlling agent nominates the best valid pair once no better pair is left to check, or at the
        /// latest this long after the first valid pair (regular nomination, RFC 8445 §8.1.1). Default 500 ms.
        public var nominationDelay: Duration = .milliseconds(500)
        /// Mean interval of consent checks on the selected pair, randomized ×0.8–1.2 (RFC 7675 §5.1 allows
        /// shorter than its 5 s so that loss is noticed sooner). Default 1 s.
        public var consentInterval: Duration = .seconds(1)
        /// With no consent response for this long the state becomes `disconnected` ("path lost").
        /// Default 5 s.
        public var consentLossTimeout: Duration = .seconds(5)
        /// With no consent response for this long consent expires: state `failed`, no more sending
        /// (RFC 7675 §5.1). Default 30 s.
        public var consentExpiry: Duration = .seconds(30)
        /// At most this many pairs in the checklist; the lowest-priority ones are dropped (RFC 8445 §6.1.2.5).
        /// Default 100.
        public var maxPairs = 100

        /// The defaults.
        public init() {}

        /// Checks ranges: positive timers, `1...20` requests, `1...64` Rm, `1...1000` pairs, loss ≤ expiry.
        /// - Throws: `ICEError.Code.invalidConfiguration` naming the field.
        public func validate() throws(ICEError) {
            func bad(_ f: String, _ m: String) -> ICEError { ICEError(.invalidConfiguration, field: f, m) }
            guard checkInterval > .zero else { throw bad("checkInterval", "must be positive") }
            guard initialRTO > .zero else { throw bad("initialRTO", "must be positive") }
            guard (1...20).contains(maxRequestCount) else { throw bad("maxRequestCount", "must be 1 to 20") }
            guard (1...64).contains(finalTimeoutMultiplier) else {
                throw bad("finalTimeoutMultiplier", "must be 1 to 64")
            }
            guard nominationDelay >= .zero else { throw bad("nominationDelay", "must not be negative") }
            guard consentInterval > .zero else { throw bad("consentInterval", "must be positive") }
            guard consentLossTimeout > .zero, consentLossTimeout <= consentExpiry else {
                throw bad("consentLossTimeout", "must be positive and at most consentExpiry")
            }
            guard (1...1000).contains(maxPairs) else { throw bad("maxPairs", "must be 1 to 1000") }
        }
    }
}
