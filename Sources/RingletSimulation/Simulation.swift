import RingletCore

/// Drives participants (sans-IO state machines) and a `SimulatedNetwork` with one fake clock.
///
/// Each step advances `now` to the earliest of the network's next event and every participant's deadline, hands
/// due deliveries to the participants on the receiving hosts, fires due timeouts, and drains every participant's
/// transmissions into the network (see `SimulationParticipant` for the exact contract). Participants are visited in
/// the order they were added, so a run is deterministic. Every run is bounded by a simulated-time limit and a step
/// count; nothing loops forever.
///
/// ```swift
/// var net = SimulatedNetwork(seed: 7)
/// let a = try net.addHost("a", address: IPAddress(1, 1, 1, 1))
/// var sim = Simulation(network: net)
/// let id = try sim.add(MyEngine(...), on: a)
/// let stop = sim.run(until: { $0.participant(id, as: MyEngine.self)?.isConnected == true },
///                    timeLimit: .milliseconds(10_000))
/// ```
public struct Simulation {
    struct Slot {
        let host: HostID
        var participant: any SimulationParticipant
    }

    /// Why a run returned.
    public enum StopReason: Hashable, Sendable {
        /// The condition became true.
        case conditionMet
        /// The next thing to happen is after the time limit; `now` is the limit.
        case timeLimit
        /// The step limit was reached first.
        case stepLimit
        /// Nothing is scheduled any more (no datagram in flight, no deadline); `now` is the time limit.
        case idle
    }

    /// The network (mutable between runs: cut paths, change links, inspect statistics and the trace).
    public var network: SimulatedNetwork
    /// The simulated clock.
    public private(set) var now: Instant
    /// Steps taken since the simulation was made.
    public private(set) var steps = 0
    /// Datagrams delivered to a host with no participant, since the simulation was made.
    public private(set) var unclaimedDeliveries = 0
    /// Timeouts after which a participant's next deadline was still at or before `now`: a machine breaking the
    /// driving contract (a real shell would spin on it). Scenario tests expect zero.
    public private(set) var stalledTimeouts = 0
    /// Most datagrams drained from one participant in one step (a guard against a participant that never stops
    /// sending). Default 10 000.
    public var maxTransmitsPerStep = 10_000
    var slots: [Slot] = []

    /// Makes a simulation of `network`, with the clock at `start`.
    public init(network: SimulatedNetwork, start: Instant = .zero) {
        self.network = network
        self.now = start
    }

    /// Adds `participant` on `host` (one participant per host) and returns its identifier.
    ///
    /// - Throws: `unknownIdentifier` for a host the network does not have, `hostTaken` if it has a participant.
    @discardableResult
    public mutating func add(_ participant: some SimulationParticipant,
                             on host: HostID) throws(SimulationError) -> ParticipantID {
        guard !network.addresses(of: host).isEmpty else {
            throw SimulationError(.unknownIdentifier, field: "host", "no host #\(host.rawValue)")
        }
        guard !slots.contains(where: { $0.host == host }) else {
            throw SimulationError(.hostTaken, field: "host", "\(network.name(of: host)) already has a participant")
        }
        slots.append(Slot(host: host, participant: participant))
        return ParticipantID(rawValue: slots.count - 1)
    }

    /// The participant `id`, if it is a `P`.
    public func participant<P: SimulationParticipant>(_ id: ParticipantID, as type: P.Type) -> P? {
        slots.indices.contains(id.rawValue) ? slots[id.rawValue].participant as? P : nil
    }

    /// Runs `body` on participant `id` (if it is a `P`) and stores the change; returns `body`'s result, or nil.
    /// Datagrams it queues are sent at the next step.
    public mutating func withParticipant<P: SimulationParticipant, R>(
        _ id: ParticipantID, as type: P.Type, _ body: (inout P) -> R
    ) -> R? {
        guard slots.indices.contains(id.rawValue), var p = slots[id.rawValue].participant as? P else { return nil }
        let result = body(&p)
        slots[id.rawValue].participant = p
        return result
    }

    /// Runs until simulated time `limit`, or `maxSteps` steps, whichever comes first.
    @discardableResult
    public mutating func run(until limit: Instant, maxSteps: Int = 1_000_000) -> StopReason {
        run(until: { _ in false }, timeLimit: limit, maxSteps: maxSteps)
    }

    /// Runs until `condition` holds (checked before the first step and after each), simulated time `timeLimit`,
    /// or `maxSteps` steps, whichever comes first.
    @discardableResult
    public mutating func run(until condition: (Simulation) -> Bool, timeLimit: Instant,
                             maxSteps: Int = 1_000_000) -> StopReason {
        var taken = 0
        drainTransmissions()
        while true {
            if condition(self) { return .conditionMet }
            guard taken < maxSteps else { return .stepLimit }
            guard let next = nextEventTime() else {
                if now < timeLimit { now = timeLimit }
                return .idle
            }
            guard next <= timeLimit else {
                if now < timeLimit { now = timeLimit }
                return .timeLimit
            }
            if next > now { now = next }
            step()
            taken &+= 1
        }
    }

    /// The earliest network event or participant deadline, or nil when nothing is scheduled.
    public mutating func nextEventTime() -> Instant? {
        var next = network.nextDeliveryTime()
        for i in slots.indices {
            if let d = slots[i].participant.nextDeadline(), next.map({ d < $0 }) ?? true { next = d }
        }
        return next
    }

    /// One step at the current `now`: deliveries, timeouts, transmissions.
    private mutating func step() {
        steps &+= 1
        for delivery in network.deliver(upTo: now) {
            if let i = slots.firstIndex(where: { $0.host == delivery.host }) {
                slots[i].participant.handle(delivery.datagram, now: now)
            } else {
                unclaimedDeliveries &+= 1
            }
        }
        for i in slots.indices {
            if let d = slots[i].participant.nextDeadline(), d <= now {
                slots[i].participant.handleTimeout(now: now)
                if let again = slots[i].participant.nextDeadline(), again <= now { stalledTimeouts &+= 1 }
            }
        }
        drainTransmissions()
    }

    private mutating func drainTransmissions() {
        for i in slots.indices {
            var count = 0
            while count < maxTransmitsPerStep, let d = slots[i].participant.pollTransmit() {
                network.send(d, from: slots[i].host, now: now)
                count &+= 1
            }
        }
    }
}
