/// Why the simulated network or the driver refused a set-up call (a bad topology or configuration).
///
/// Traffic never throws: a datagram the network cannot carry is dropped and recorded with a `DropReason`.
public struct SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare against the static constants.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, e.g. `"duplicateAddress"`.
        public let rawValue: String
        /// Makes a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The name.
        public var description: String { rawValue }

        /// The address is already used by a host or a NAT in the same realm.
        public static let duplicateAddress = Code(rawValue: "duplicateAddress")
        /// The host name is already taken.
        public static let duplicateName = Code(rawValue: "duplicateName")
        /// The host, NAT or participant identifier was not made by this network or simulation.
        public static let unknownIdentifier = Code(rawValue: "unknownIdentifier")
        /// A configuration value is out of range (a probability outside 0…1, a negative delay, …).
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The host already has a participant.
        public static let hostTaken = Code(rawValue: "hostTaken")
    }

    /// What kind of failure.
    public let code: Code
    /// The setting or identifier concerned, e.g. `"LinkConditions.lossProbability"`.
    public let field: String
    /// A human-readable explanation.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// `code` at `field`: `message`.
    public var description: String { "Simulation \(code) at \(field): \(message)" }
}
