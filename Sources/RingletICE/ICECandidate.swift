import RingletCore

/// One ICE candidate (RFC 8445 §5.1): a transport address at which an agent can receive, with its type,
/// priority and foundation.
///
/// Only component 1 is used (rtcp-mux and BUNDLE, RFC 8843), and only UDP candidates take part in checks; TCP
/// candidates can be parsed and printed but the agent ignores them. Extensions of the SDP form (RFC 8839 §5.1
/// `cand-extension`, e.g. Chromium's `generation`, `ufrag`, `network-id`, `network-cost`) are kept in order so
/// that a candidate prints back as it was read. Deliberately not `CustomStringConvertible`: the address is a
/// peer address that must not reach logs unredacted.
public struct ICECandidate: Hashable, Sendable {
    /// The candidate type (RFC 8445 §5.1.1), with its type preference (§5.1.2.2).
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A host candidate: an address of a local interface.
        case host
        /// A server-reflexive candidate: the address a STUN server saw.
        case serverReflexive = "srflx"
        /// A peer-reflexive candidate: the address a peer saw in a connectivity check.
        case peerReflexive = "prflx"
        /// A relayed candidate: an address allocated on a TURN server.
        case relayed = "relay"

        /// The type preference this agent uses (RFC 8445 §5.1.2.2 recommends these values).
        public var typePreference: UInt32 {
            switch self {
            case .host: 126
            case .peerReflexive: 110
            case .serverReflexive: 100
            case .relayed: 0
            }
        }
    }

    /// One `name value` extension after the fixed fields (RFC 8839 §5.1 `cand-extension`).
    public struct Extension: Hashable, Sendable {
        /// The extension's name.
        public let name: String
        /// The extension's value.
        public let value: String
        /// Makes an extension.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The foundation: 1 to 32 `ice-char`s; equal for candidates of the same type, base IP, server and
    /// transport (RFC 8445 §5.1.1.3).
    public let foundation: String
    /// The component: always 1 here (rtcp-mux).
    public let component: UInt16
    /// The transport protocol; the agent checks UDP candidates only.
    public let transport: TransportProtocol
    /// The priority (RFC 8445 §5.1.2.1).
    public let priority: UInt32
    /// The candidate's transport address.
    public let address: TransportAddress
    /// The candidate type.
    public let kind: Kind
    /// The related address (`raddr`/`rport`): the base of a srflx or prflx candidate, the mapped address of a
    /// relayed one (RFC 8839 §5.1).
    public let relatedAddress: TransportAddress?
    /// Extensions after the fixed fields, in order.
    public let extensions: [Extension]

    /// Makes a candidate, checking the foundation's length and characters.
    /// - Throws: `ICEError.Code.invalidCandidate` for an empty or over-long foundation, one with characters
    ///   outside `ice-char`, or a component outside 1–256.
    public init(
        foundation: String, component: UInt16 = 1, transport: TransportProtocol = .udp, priority: UInt32,
        address: TransportAddress, kind: Kind, relatedAddress: TransportAddress? = nil,
        extensions: [Extension] = []
    ) throws(ICEError) {
        guard (1...32).contains(foundation.utf8.count), foundation.utf8.allSatisfy(ICECandidate.isICEChar) else {
            throw ICEError(.invalidCandidate, field: "foundation", "must be 1 to 32 ice-chars")
        }
        guard (1...256).contains(component) else {
            throw ICEError(.invalidCandidate, field: "component", "must be 1 to 256")
        }
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.extensions = extensions
    }

    /// The candidate priority (RFC 8445 §5.1.2.1):
    /// `2^24 × type preference + 2^8 × local preference + (256 − component)`.
    /// - Parameters:
    ///   - kind: gives the type preference (126 host, 110 prflx, 100 srflx, 0 relay).
    ///   - localPreference: 0–65535; 65535 for a single-homed host, lower for less preferred interfaces.
    ///   - component: the component ID, 1 with rtcp-mux.
    public static func priority(kind: Kind, localPreference: UInt16 = 65535, component: UInt16 = 1) -> UInt32 {
        let c = UInt32(min(max(component, 1), 256))
        return kind.typePreference << 24 | UInt32(localPreference) << 8 | (256 &- c)
    }

    /// A foundation for a local candidate (RFC 8445 §5.1.1.3): the same for candidates that share type, base IP
    /// address, STUN/TURN server address and transport, different otherwise. Computed as the decimal FNV-1a
    /// hash of those four, so that it is stable across restarts and reveals no address.
    public static func foundation(
        kind: Kind, baseIP: IPAddress, server: IPAddress? = nil, transport: TransportProtocol = .udp
    ) -> String {
        var h: UInt32 = 2_166_136_261
        func mix(_ bytes: some Sequence<UInt8>) {
            for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        }
        mix(kind.rawValue.utf8)
        mix(baseIP.bytes)
        mix([0xFF])
        if let server { mix(server.bytes) }
        mix(transport.rawValue.utf8)
        return String(h)
    }

    /// The value of the first extension called `name`.
    public func extensionValue(_ name: String) -> String? { extensions.first(where: { $0.name == name })?.value }

    /// The `ufrag` extension: the username fragment of the ICE generation the candidate belongs to.
    public var usernameFragment: String? { extensionValue("ufrag") }

    /// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1).
    static func isICEChar(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
    }
}
