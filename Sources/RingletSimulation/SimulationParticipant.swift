import RingletCore

/// A sans-IO state machine the `Simulation` drives on one host: an engine, a STUN or TURN server, a test echo.
///
/// The driver's contract, at every step with the simulated clock at `now`:
/// 1. each datagram the network delivers to the participant's host is passed to `handle(_:now:)`;
/// 2. if `nextDeadline()` is at or before `now`, `handleTimeout(now:)` is called (once per step);
/// 3. `pollTransmit()` is drained until it returns nil and each datagram is sent from the host (its `source`
///    must be one of the host's addresses, or the network drops it as `notLocal`);
/// 4. the clock advances to the earliest of every participant's `nextDeadline()` and the network's next event.
///
/// A participant that keeps returning a deadline in the past makes the driver spin at one instant; the step limit
/// of `Simulation.run` bounds that.
public typealias SimulationParticipant = DatagramDriven

/// Identifies a participant of a `Simulation`.
public struct ParticipantID: Hashable, Sendable {
    /// The index the simulation gave it (0, 1, 2, … in order of `add`).
    public let rawValue: Int
}
