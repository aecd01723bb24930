import RingletCore

/// Loss aimed at one kind of datagram (RFC 7983: STUN, DTLS, RTP, …) on one link direction, on top of the link's
/// random loss: the first `dropFirst` datagrams of that kind to cross the direction are dropped, then each further
/// one with probability `probability` (drawn from the network's seeded link generator; zero draws nothing).
/// Datagrams of other kinds pass untouched and are not counted.
///
/// For scenarios that lose a protocol's packets only — for example the first DTLS handshake flights each way,
/// which only the DTLS retransmission timer can recover:
/// ```swift
/// let flights = LinkConditions(delay: .milliseconds(10), kindLoss: KindLoss(.dtls, dropFirst: 2))
/// try net.addHost("a", address: ip, link: LinkConfiguration(upstream: flights, downstream: LinkConditions()))
/// ```
public struct KindLoss: Hashable, Sendable {
    /// The kind of datagram this loss applies to (`DatagramKind.classify` of the payload).
    public var kind: DatagramKind
    /// How many datagrams of `kind` are dropped first, whatever the seed. Default 0.
    public var dropFirst: Int
    /// Probability (0…1) that each later datagram of `kind` is dropped. Default 0.
    public var probability: Double

    /// Makes a loss rule for datagrams of `kind`.
    public init(_ kind: DatagramKind, dropFirst: Int = 0, probability: Double = 0) {
        self.kind = kind
        self.dropFirst = dropFirst
        self.probability = probability
    }

    /// Throws `invalidConfiguration` for a negative `dropFirst` or a probability outside 0…1.
    public func validate() throws(SimulationError) {
        guard dropFirst >= 0 else {
            throw SimulationError(.invalidConfiguration, field: "KindLoss.dropFirst", "\(dropFirst) is negative")
        }
        guard probability >= 0, probability <= 1 else {
            throw SimulationError(.invalidConfiguration, field: "KindLoss.probability", "\(probability) is not in 0…1")
        }
    }
}
