import RingletCore

/// A pair of a local and a remote candidate (RFC 8445 §6.1.2), as the agent reports it: the checked or valid
/// pair that carries data.
///
/// Datagrams on the pair leave from ``localBase`` (the socket, or for a relayed candidate the relayed address
/// on the TURN server ``relayServer``) to the remote candidate's address.
public struct ICECandidatePair: Hashable, Sendable {
    /// Identifies a pair within one agent; stable for the pair's life.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public let rawValue: Int
        /// Makes an ID.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `pair#<n>`.
        public var description: String { "pair#\(rawValue)" }
    }

    /// The pair's identifier.
    public let id: ID
    /// The local candidate (a peer-reflexive one when a check's response revealed a new mapping).
    public let local: ICECandidate
    /// The remote candidate.
    public let remote: ICECandidate
    /// The pair priority (RFC 8445 §6.1.2.3) for the agent's current role.
    public let priority: UInt64
    /// Where datagrams on this pair leave from: the local candidate's base (RFC 8445 §5.1.1.1).
    public let localBase: TransportAddress
    /// The TURN server to send through when the local candidate is relayed; nil for direct sending.
    public let relayServer: TransportAddress?

    /// The pair priority (RFC 8445 §6.1.2.3): `2^32 × min(G, D) + 2 × max(G, D) + (G > D ? 1 : 0)`, where G is the
    /// controlling agent's candidate priority and D the controlled agent's.
    public static func priority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        let lo = UInt64(min(g, d)), hi = UInt64(max(g, d))
        return (lo << 32) &+ (hi << 1) &+ (g > d ? 1 : 0)
    }
}
