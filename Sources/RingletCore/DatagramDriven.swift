/// A sans-IO machine that exchanges datagrams with the world: what the simulated network
/// (`RingletSimulation`) and the SwiftNIO shell (`RingletNIO`) both drive.
///
/// The driver's contract: after every `handle` or `handleTimeout`, drain `pollTransmit()` until it returns nil,
/// then ask `nextDeadline()` and call `handleTimeout(now:)` once the clock reaches it.
public protocol DatagramDriven {
    /// Takes a datagram that arrived at `now` (its destination is one of this machine's local addresses).
    mutating func handle(_ datagram: Datagram, now: Instant)
    /// The next datagram to send (its source is the local address to send from), or nil when there is none.
    mutating func pollTransmit() -> Datagram?
    /// When the machine next wants `handleTimeout(now:)`, or nil for never.
    mutating func nextDeadline() -> Instant?
    /// Called when the clock has reached `nextDeadline()`.
    mutating func handleTimeout(now: Instant)
}
