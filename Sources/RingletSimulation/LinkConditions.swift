import RingletCore

/// How a link delays, loses, reorders, duplicates and rate-limits the datagrams crossing it in one direction.
///
/// Applied in this order to each datagram entering the link at instant `t`:
/// 1. **Bandwidth and queue** (if `bandwidthBitsPerSecond` is set): the datagram waits behind the ones already
///    queued (FIFO) and is serialised at the link rate; if the bytes already waiting plus this one exceed
///    `queueCapacityBytes` it is dropped (drop-tail, `DropReason.queueOverflow`). Sizes count the IP and UDP
///    headers (28 bytes for IPv4, 48 for IPv6).
/// 2. **Loss**: dropped by `kindLoss` when the datagram is of its kind (`DropReason.kindLost`), else with
///    probability `lossProbability` (independent per datagram, `DropReason.lost`).
/// 3. **Delay**: arrives `delay + j` after leaving the queue, where `j` is drawn in `-jitter … +jitter`
///    (`jitterDistribution`) and the total is never negative. Jitter alone reorders datagrams sent closer together
///    than the jitter spread.
/// 4. **Explicit reordering**: with probability `reorderProbability` the datagram is held back an extra
///    `reorderDelay`, so datagrams sent after it can overtake it.
/// 5. **Duplication**: with probability `duplicateProbability` a second copy arrives, with its own delay draw.
///
/// Every random draw comes from the network's seeded generator; a probability of zero draws nothing.
public struct LinkConditions: Hashable, Sendable {
    /// Mean one-way propagation delay. Default zero.
    public var delay: Duration
    /// Largest deviation from `delay`, either way. Default zero (no jitter, so no reordering).
    public var jitter: Duration
    /// The shape of the jitter draw. Default `.uniform`.
    public var jitterDistribution: JitterDistribution
    /// Probability (0…1) that a datagram is lost. Default 0.
    public var lossProbability: Double
    /// Probability (0…1) that a datagram is held back by `reorderDelay`. Default 0.
    public var reorderProbability: Double
    /// How long a datagram chosen for reordering is held back. Default 20 ms.
    public var reorderDelay: Duration
    /// Probability (0…1) that a datagram is delivered twice. Default 0.
    public var duplicateProbability: Double
    /// Link rate in bits per second; nil for unlimited (no queue). Default nil.
    public var bandwidthBitsPerSecond: Int64?
    /// Bytes the queue holds before it drops (drop-tail); only with a bandwidth cap. Default 64 000.
    public var queueCapacityBytes: Int
    /// Loss aimed at one kind of datagram (for example DTLS handshake flights); nil for none. Default nil.
    public var kindLoss: KindLoss?

    /// Makes link conditions; every parameter defaults to a perfect link.
    public init(
        delay: Duration = .zero,
        jitter: Duration = .zero,
        jitterDistribution: JitterDistribution = .uniform,
        lossProbability: Double = 0,
        reorderProbability: Double = 0,
        reorderDelay: Duration = .milliseconds(20),
        duplicateProbability: Double = 0,
        bandwidthBitsPerSecond: Int64? = nil,
        queueCapacityBytes: Int = 64_000,
        kindLoss: KindLoss? = nil
    ) {
        self.delay = delay
        self.jitter = jitter
        self.jitterDistribution = jitterDistribution
        self.lossProbability = lossProbability
        self.reorderProbability = reorderProbability
        self.reorderDelay = reorderDelay
        self.duplicateProbability = duplicateProbability
        self.bandwidthBitsPerSecond = bandwidthBitsPerSecond
        self.queueCapacityBytes = queueCapacityBytes
        self.kindLoss = kindLoss
    }

    /// No delay, no loss, no limit.
    public static let perfect = LinkConditions()

    /// Throws `invalidConfiguration` for a probability outside 0…1, a negative duration, a non-positive bandwidth,
    /// a negative queue capacity or an invalid `kindLoss`.
    public func validate() throws(SimulationError) {
        func probability(_ p: Double, _ name: String) throws(SimulationError) {
            guard p >= 0, p <= 1 else {
                throw SimulationError(.invalidConfiguration, field: "LinkConditions.\(name)", "\(p) is not in 0…1")
            }
        }
        try probability(lossProbability, "lossProbability")
        try probability(reorderProbability, "reorderProbability")
        try probability(duplicateProbability, "duplicateProbability")
        for (d, name) in [(delay, "delay"), (jitter, "jitter"), (reorderDelay, "reorderDelay")] where d < .zero {
            throw SimulationError(.invalidConfiguration, field: "LinkConditions.\(name)", "\(d) is negative")
        }
        if let bw = bandwidthBitsPerSecond, bw <= 0 {
            throw SimulationError(.invalidConfiguration, field: "LinkConditions.bandwidthBitsPerSecond",
                                  "\(bw) is not positive")
        }
        guard queueCapacityBytes >= 0 else {
            throw SimulationError(.invalidConfiguration, field: "LinkConditions.queueCapacityBytes",
                                  "\(queueCapacityBytes) is negative")
        }
        try kindLoss?.validate()
    }
}

/// The distribution of a link's jitter draw, always bounded by `±jitter`.
public enum JitterDistribution: Hashable, Sendable {
    /// Uniform over `-jitter … +jitter`.
    case uniform
    /// Bell-shaped: the mean of four uniform draws (Irwin–Hall), still within `±jitter`, standard deviation
    /// about `jitter × 0.29`.
    case normal
}

/// The conditions of a host's or a NAT's attachment to its realm, one per direction.
public struct LinkConfiguration: Hashable, Sendable {
    /// From the host (or the NAT's inside) towards the realm (or the NAT's outside): what it sends.
    public var upstream: LinkConditions
    /// From the realm (or the NAT's outside) towards the host (or the NAT's inside): what it receives.
    public var downstream: LinkConditions

    /// Makes a configuration with different conditions in each direction.
    public init(upstream: LinkConditions, downstream: LinkConditions) {
        self.upstream = upstream
        self.downstream = downstream
    }

    /// Makes a configuration with the same conditions both ways.
    public init(_ both: LinkConditions) {
        self.init(upstream: both, downstream: both)
    }

    /// Perfect both ways.
    public static let perfect = LinkConfiguration(.perfect)

    /// Validates both directions (see `LinkConditions.validate()`).
    public func validate() throws(SimulationError) {
        try upstream.validate()
        try downstream.validate()
    }
}

/// One direction of a link with its queue state.
struct LinkDirection: Sendable {
    var conditions: LinkConditions
    /// When the last queued datagram finishes serialising.
    var busyUntil: Instant = .zero
    /// Datagrams of `conditions.kindLoss`'s kind that reached the loss stage.
    var kindSeen = 0

    init(_ conditions: LinkConditions) { self.conditions = conditions }

    /// What happened to a datagram on the link: dropped, or arrival instants (one, or two when duplicated).
    struct Outcome {
        var drop: DropReason?
        var first: Instant = .zero
        var second: Instant?
    }

    /// Runs one datagram (`payload`, `size` bytes with headers) through this direction, entering at `now`.
    mutating func transmit(_ payload: [UInt8], size: Int, now: Instant, random: inout SeededRandom) -> Outcome {
        let c = conditions
        var departure = now
        if let bw = c.bandwidthBitsPerSecond, bw > 0 {
            let start = busyUntil > now ? busyUntil : now
            let waitingNanos = Double(start.nanoseconds &- now.nanoseconds)
            let backlogBytes = waitingNanos * Double(bw) / 8e9
            if backlogBytes + Double(size) > Double(c.queueCapacityBytes) {
                return Outcome(drop: .queueOverflow)
            }
            let serialisation = Int64((Double(size) * 8e9 / Double(bw)).rounded(.up))
            busyUntil = Instant(nanoseconds: start.nanoseconds &+ serialisation)
            departure = busyUntil
        }
        if let aimed = c.kindLoss, DatagramKind.classify(payload) == aimed.kind {
            kindSeen &+= 1
            if kindSeen <= aimed.dropFirst { return Outcome(drop: .kindLost) }
            if aimed.probability > 0, Double.random(in: 0..<1, using: &random) < aimed.probability {
                return Outcome(drop: .kindLost)
            }
        }
        if c.lossProbability > 0, Double.random(in: 0..<1, using: &random) < c.lossProbability {
            return Outcome(drop: .lost)
        }
        var outcome = Outcome(first: arrival(after: departure, random: &random))
        if c.reorderProbability > 0, Double.random(in: 0..<1, using: &random) < c.reorderProbability {
            outcome.first = outcome.first + c.reorderDelay
        }
        if c.duplicateProbability > 0, Double.random(in: 0..<1, using: &random) < c.duplicateProbability {
            outcome.second = arrival(after: departure, random: &random)
        }
        return outcome
    }

    private func arrival(after departure: Instant, random: inout SeededRandom) -> Instant {
        let base = conditions.delay.nanosecondsClamped
        let spread = conditions.jitter.nanosecondsClamped
        var offset: Int64 = 0
        if spread > 0 {
            switch conditions.jitterDistribution {
            case .uniform:
                offset = Int64.random(in: -spread...spread, using: &random)
            case .normal:
                var sum: Int64 = 0
                for _ in 0..<4 { sum &+= Int64.random(in: -spread...spread, using: &random) }
                offset = sum / 4
            }
        }
        let total = base &+ offset
        return Instant(nanoseconds: departure.nanoseconds &+ (total > 0 ? total : 0))
    }
}
