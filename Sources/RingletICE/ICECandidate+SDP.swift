import RingletCore
import RingletSDP

extension ICECandidate {
    /// Converts a parsed SDP `candidate` attribute (RingletSDP's ``ICECandidateLine``, RFC 8839 §5.1) into a
    /// candidate the agent can use. Extensions are kept in order; `tcptype` stays an extension.
    /// - Throws: `unsupportedCandidate` for an FQDN address (e.g. an mDNS `.local` name, which the caller must
    ///   resolve first), an unknown candidate type or a transport other than UDP and TCP; `invalidCandidate`
    ///   for a bad foundation or component.
    public init(_ line: ICECandidateLine) throws(ICEError) {
        guard let ip = IPAddress(line.address) else {
            throw ICEError(.unsupportedCandidate, field: "connection-address", "not an IP literal (FQDN or mDNS)")
        }
        guard let kind = Kind(rawValue: line.type.rawValue) else {
            throw ICEError(.unsupportedCandidate, field: "cand-type", "unknown type \(line.type.rawValue)")
        }
        let transport: TransportProtocol
        switch line.transport.lowercased() {
        case "udp": transport = .udp
        case "tcp": transport = .tcp
        default: throw ICEError(.unsupportedCandidate, field: "transport", "not UDP or TCP")
        }
        var related: TransportAddress?
        if let raddr = line.relatedAddress, let rip = IPAddress(raddr) {
            related = TransportAddress(rip, line.relatedPort ?? 0)
        }
        try self.init(
            foundation: line.foundation, component: line.component, transport: transport, priority: line.priority,
            address: TransportAddress(ip, line.port), kind: kind, relatedAddress: related,
            extensions: line.extensions.map { Extension($0.name, $0.value) })
    }

    /// Parses the text of a candidate: the attribute value, `candidate:<value>` as trickle ICE sends it
    /// (RFC 8840 §4.4), or an `a=candidate:` line.
    /// - Throws: `invalidCandidate` when the SDP grammar is not met (the SDP parser's message is kept);
    ///   `unsupportedCandidate` as ``init(_:)`` says.
    public init(sdp text: String) throws(ICEError) {
        let line: ICECandidateLine
        do {
            line = try ICECandidateLine(parsing: text)
        } catch {
            throw ICEError(.invalidCandidate, field: error.field, error.message, underlying: error)
        }
        try self.init(line)
    }

    /// The candidate as an SDP ``ICECandidateLine`` (RFC 8839 §5.1). `raddr`/`rport` are written when a related
    /// address is known.
    /// - Throws: `invalidCandidate` if an extension name or value is empty or holds spaces.
    public func sdpLine() throws(ICEError) -> ICECandidateLine {
        do {
            return try ICECandidateLine(
                foundation: foundation, component: component, transport: transport.rawValue, priority: priority,
                address: address.ip.description, port: address.port, type: ICECandidateType(rawValue: kind.rawValue),
                relatedAddress: relatedAddress?.ip.description, relatedPort: relatedAddress?.port,
                extensions: extensions.map { ICECandidateLine.Extension($0.name, $0.value) })
        } catch {
            throw ICEError(.invalidCandidate, field: error.field, error.message, underlying: error)
        }
    }

    /// The text trickle ICE sends (`candidate:<value>`, RFC 8840 §4.4). It holds an address: do not log it.
    /// - Throws: as ``sdpLine()``.
    public func sdpText() throws(ICEError) -> String { try sdpLine().trickleText }
}
