/// How a NAT chooses whether to reuse a mapping for a new destination (RFC 4787 §4.1).
public enum NATMappingBehavior: Hashable, Sendable {
    /// One mapping per internal address and port, whatever the destination (RFC 4787 §4.1, "Endpoint-Independent
    /// Mapping").
    case endpointIndependent
    /// A new mapping per destination IP address (RFC 4787 §4.1, "Address-Dependent Mapping").
    case addressDependent
    /// A new mapping per destination IP address and port (RFC 4787 §4.1, "Address and Port-Dependent Mapping").
    case addressAndPortDependent
}

/// Which unsolicited inbound datagrams a NAT lets through an existing mapping (RFC 4787 §5).
public enum NATFilteringBehavior: Hashable, Sendable {
    /// Any external endpoint may send to the mapping (RFC 4787 §5, "Endpoint-Independent Filtering").
    case endpointIndependent
    /// Only IP addresses the internal endpoint has sent to (RFC 4787 §5, "Address-Dependent Filtering").
    case addressDependent
    /// Only IP addresses and ports the internal endpoint has sent to (RFC 4787 §5, "Address and Port-Dependent
    /// Filtering").
    case addressAndPortDependent
}

/// How a NAT picks the external port of a new mapping (RFC 4787 §4.2.1).
public enum NATPortAssignment: Hashable, Sendable {
    /// Keep the internal port when it is free on the public address, else pick a random free one.
    case preserving
    /// A random free port in the range, drawn from the network's seeded generator.
    case random
}

/// The behaviour of one simulated NAT (RFC 4787 terms).
///
/// A mapping is created by an outbound datagram, refreshed by every outbound datagram that uses it (RFC 4787 §4.3,
/// REQ-6; inbound traffic does not refresh it) and removed `mappingLifetime` after the last refresh. Filtering
/// permissions belong to the mapping and go with it.
public struct NATConfiguration: Hashable, Sendable {
    /// Mapping behaviour (RFC 4787 §4.1).
    public var mapping: NATMappingBehavior
    /// Filtering behaviour (RFC 4787 §5).
    public var filtering: NATFilteringBehavior
    /// External port choice (RFC 4787 §4.2.1). Default `.preserving`.
    public var portAssignment: NATPortAssignment
    /// Idle time after which a mapping expires (RFC 4787 §4.3). Default 120 s (REQ-5's minimum).
    public var mappingLifetime: Duration
    /// Whether two hosts behind this NAT can reach each other through its public address (RFC 4787 §6). The
    /// hairpinned datagram carries the sender's external address as its source (REQ-9) and passes the inbound
    /// filter like any other. Default false.
    public var hairpinning: Bool
    /// External ports the NAT hands out. Default 1024…65535.
    public var portRange: ClosedRange<UInt16>

    /// Makes a NAT configuration.
    public init(
        mapping: NATMappingBehavior,
        filtering: NATFilteringBehavior,
        portAssignment: NATPortAssignment = .preserving,
        mappingLifetime: Duration = .seconds(120),
        hairpinning: Bool = false,
        portRange: ClosedRange<UInt16> = 1024...65535
    ) {
        self.mapping = mapping
        self.filtering = filtering
        self.portAssignment = portAssignment
        self.mappingLifetime = mappingLifetime
        self.hairpinning = hairpinning
        self.portRange = portRange
    }

    /// "Full cone": endpoint-independent mapping and filtering.
    public static let fullCone = NATConfiguration(mapping: .endpointIndependent, filtering: .endpointIndependent)
    /// "Restricted cone": endpoint-independent mapping, address-dependent filtering.
    public static let restrictedCone = NATConfiguration(mapping: .endpointIndependent, filtering: .addressDependent)
    /// "Port-restricted cone": endpoint-independent mapping, address-and-port-dependent filtering.
    public static let portRestrictedCone = NATConfiguration(
        mapping: .endpointIndependent, filtering: .addressAndPortDependent)
    /// "Symmetric": address-and-port-dependent mapping and filtering, random ports.
    public static let symmetric = NATConfiguration(
        mapping: .addressAndPortDependent, filtering: .addressAndPortDependent, portAssignment: .random)

    /// Throws `invalidConfiguration` for a non-positive lifetime.
    public func validate() throws(SimulationError) {
        guard mappingLifetime > .zero else {
            throw SimulationError(.invalidConfiguration, field: "NATConfiguration.mappingLifetime",
                                  "\(mappingLifetime) is not positive")
        }
    }
}
