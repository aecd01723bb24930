/// The type of an ICE candidate (RFC 8839 §5.1 `cand-type`): an open set so that unknown types round-trip.
public struct ICECandidateType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type as written.
    public let rawValue: String
    /// Makes a type from its text.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A readable rendering for logs and test failures.
    public var description: String { rawValue }

    /// A host candidate.
    public static let host = ICECandidateType(rawValue: "host")
    /// A server-reflexive candidate.
    public static let srflx = ICECandidateType(rawValue: "srflx")
    /// A peer-reflexive candidate.
    public static let prflx = ICECandidateType(rawValue: "prflx")
    /// A relayed candidate.
    public static let relay = ICECandidateType(rawValue: "relay")
}

/// One `candidate` attribute (RFC 8839 §5.1), as written in SDP or sent alone by trickle ICE
/// (RFC 8840 §4.4, e.g. `candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host generation 0`).
///
/// ```
/// candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
///                       connection-address SP port SP "typ" SP cand-type
///                       [SP rel-addr] [SP rel-port] *(SP cand-extension)
/// ```
/// Extensions (`tcptype` of RFC 6544, Chromium's `generation`, `ufrag`, `network-id`, `network-cost`) are
/// kept as name/value pairs in order, so the line prints back as it was. Deliberately not
/// `CustomStringConvertible`: the address is a peer address, which must not reach logs unredacted.
public struct ICECandidateLine: Hashable, Sendable {
    /// One `name value` extension after the fixed fields.
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

    /// The foundation: 1 to 32 `ice-char`s.
    public let foundation: String
    /// The component: 1 for RTP (and RTCP with rtcp-mux), 2 for RTCP; 1–256.
    public let component: UInt16
    /// The transport as written (`udp`, `UDP`, `tcp`).
    public let transport: String
    /// The priority (RFC 8445 §5.1.2).
    public let priority: UInt32
    /// The address: an IPv4 or IPv6 literal, or an FQDN such as an mDNS `.local` name.
    public let address: String
    /// The port.
    public let port: UInt16
    /// The candidate type.
    public let type: ICECandidateType
    /// The related address (`raddr`), for srflx, prflx and relay candidates.
    public let relatedAddress: String?
    /// The related port (`rport`).
    public let relatedPort: UInt16?
    /// The extensions after the fixed fields, in order.
    public let extensions: [Extension]

    /// Makes a candidate line, checking each field's characters and range.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(
        foundation: String, component: UInt16, transport: String = "udp", priority: UInt32, address: String,
        port: UInt16, type: ICECandidateType, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
        extensions: [Extension] = []
    ) throws(SDPError) {
        func bad(_ m: String) -> SDPError { SDPError(.invalidAttribute, field: "candidate", m) }
        guard (1...32).contains(foundation.utf8.count), foundation.utf8.allSatisfy(SDPText.isICEChar) else {
            throw bad("foundation must be 1 to 32 ice-chars")
        }
        guard (1...256).contains(component) else { throw bad("component must be 1 to 256") }
        guard SDPText.isToken(transport) else { throw bad("transport must be a token") }
        guard SDPText.isNonWhitespace(address) else { throw bad("address must not be empty or hold spaces") }
        guard SDPText.isToken(type.rawValue) else { throw bad("type must be a token") }
        if let relatedAddress, !SDPText.isNonWhitespace(relatedAddress) { throw bad("raddr must not hold spaces") }
        for e in extensions where !SDPText.isNonWhitespace(e.name) || !SDPText.isNonWhitespace(e.value) {
            throw bad("extension names and values must be non-empty without spaces")
        }
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    /// Parses a candidate: the attribute value, or the whole `candidate:...` string that trickle ICE sends,
    /// or an `a=candidate:...` line.
    /// - Throws: `SDPError.Code.invalidAttribute` saying which field is wrong.
    public init(parsing text: String) throws(SDPError) {
        func bad(_ m: String) -> SDPError { SDPError(.invalidAttribute, field: "candidate", m) }
        var body = Substring(text)
        if body.hasPrefix("a=") { body = body.dropFirst(2) }
        if body.hasPrefix("candidate:") { body = body.dropFirst("candidate:".count) }
        guard let t = SDPText.tokens(body), t.count >= 8 else {
            throw bad("expected <foundation> <component> <transport> <priority> <address> <port> typ <type>")
        }
        guard let component = SDPText.decimal(t[1], as: UInt16.self) else { throw bad("component is not a number") }
        guard let priority = SDPText.decimal(t[3], as: UInt32.self) else {
            throw bad("priority is not a 32-bit number")
        }
        guard let port = SDPText.decimal(t[5], as: UInt16.self) else { throw bad("port is not 0 to 65535") }
        guard t[6] == "typ" else { throw bad("expected 'typ' after the port") }
        var i = 8
        var raddr: String?
        var rport: UInt16?
        if i + 1 < t.count, t[i] == "raddr" {
            raddr = t[i + 1]
            i += 2
        }
        if i + 1 < t.count, t[i] == "rport" {
            guard let p = SDPText.decimal(t[i + 1], as: UInt16.self) else { throw bad("rport is not 0 to 65535") }
            rport = p
            i += 2
        }
        guard (t.count - i) % 2 == 0 else { throw bad("extension without a value") }
        var ext = [Extension]()
        while i + 1 < t.count {
            ext.append(Extension(t[i], t[i + 1]))
            i += 2
        }
        try self.init(
            foundation: t[0], component: component, transport: t[2], priority: priority, address: t[4],
            port: port, type: ICECandidateType(rawValue: t[7]), relatedAddress: raddr, relatedPort: rport,
            extensions: ext)
    }

    /// The value of the first extension called `name`.
    public func extensionValue(_ name: String) -> String? { extensions.first(where: { $0.name == name })?.value }

    /// The TCP candidate type (`active`, `passive`, `so`, RFC 6544 §4.5), when present.
    public var tcpType: String? { extensionValue("tcptype") }
    /// The `generation` extension (Chromium), when present and numeric.
    public var generation: UInt32? { extensionValue("generation").flatMap { SDPText.decimal($0, as: UInt32.self) } }
    /// The `ufrag` extension (the ICE username fragment the candidate belongs to), when present.
    public var usernameFragment: String? { extensionValue("ufrag") }

    /// Whether the transport is UDP (case-insensitive).
    public var isUDP: Bool { SDPText.lower(transport) == "udp" }

    /// The attribute value (the text after `candidate:`).
    public var value: String {
        var s = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type.rawValue)"
        if let relatedAddress { s += " raddr \(relatedAddress)" }
        if let relatedPort { s += " rport \(relatedPort)" }
        for e in extensions { s += " \(e.name) \(e.value)" }
        return s
    }

    /// The text trickle ICE sends: `candidate:<value>`. It holds the peer's address: do not log it.
    public var trickleText: String { "candidate:" + value }
}
