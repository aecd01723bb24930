import RingletCore

/// Why the simulated network or the driver refused a set-up call (a bad topology or configuration).
///
/// Traffic never throws: a datagram the network cannot carry is dropped and recorded with a `DropReason`.
///
/// ``CodedError`` in the ``SimulationErrors`` domain: a `code` (the constants below), the field, the offset when known,
/// a message, and the lower layer's error when one caused it.
public typealias SimulationError = CodedError<SimulationErrors>

/// Names SimulationErrors ("Simulation") and holds their codes.
public enum SimulationErrors: CodedErrorDomain {
    /// "Simulation".
    public static let name = "Simulation"
}

extension CodedError.Code where Domain == SimulationErrors {
    /// The address is already used by a host or a NAT in the same realm.
    public static var duplicateAddress: Self { Self("duplicateAddress") }
    /// The host name is already taken.
    public static var duplicateName: Self { Self("duplicateName") }
    /// The host, NAT or participant identifier was not made by this network or simulation.
    public static var unknownIdentifier: Self { Self("unknownIdentifier") }
    /// A configuration value is out of range (a probability outside 0…1, a negative delay, …).
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// The host already has a participant.
    public static var hostTaken: Self { Self("hostTaken") }
}
