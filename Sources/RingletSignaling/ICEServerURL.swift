import RingletCore

/// One `stun:`, `stuns:`, `turn:` or `turns:` URL (RFC 7064, RFC 7065): scheme, host, port and transport.
public struct ICEServerURL: Hashable, Sendable {
    /// The URL scheme.
    public enum Scheme: String, Hashable, Sendable {
        case stun, stuns, turn, turns
    }

    /// The scheme.
    public let scheme: Scheme
    /// The host: a name, an IPv4 literal, or an IPv6 literal without brackets.
    public let host: String
    /// The port (3478 by default, 5349 for the TLS schemes).
    public let port: UInt16
    /// The transport to the server: `?transport=udp|tcp`; without it UDP, but TCP for `turns:` (RFC 7065 §3.1).
    public let transport: TransportProtocol
    /// Whether the URL named its transport (`turns:…?transport=udp` means TURN over DTLS).
    public let transportGiven: Bool

    /// Parses a URL such as `turn:turn.example:3478?transport=udp` or `stun:[::1]:3478`.
    /// - Throws: `malformed` (field `urls`) for another scheme, an empty host, a bad port or transport.
    public init(parsing text: String) throws(SignalingError) {
        guard let colon = text.firstIndex(of: ":"), let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            throw SignalingError(.malformed, field: "urls", "not a stun:, stuns:, turn: or turns: URL")
        }
        var rest = Substring(text[text.index(after: colon)...])
        var transport: TransportProtocol?
        if let q = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: q)...].lowercased()
            rest = rest[..<q]
            switch query {
            case "transport=udp": transport = .udp
            case "transport=tcp": transport = .tcp
            default: throw SignalingError(.malformed, field: "urls", "unknown query \"\(query)\" (only transport=udp|tcp)")
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw SignalingError(.malformed, field: "urls", "unclosed IPv6 literal") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw SignalingError(.malformed, field: "urls", "text after the IPv6 literal")
            }
        } else if let c = rest.lastIndex(of: ":") {
            host = rest[..<c]
            portText = rest[rest.index(after: c)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else {
            throw SignalingError(.malformed, field: "urls", "no host")
        }
        var port: UInt16 = (scheme == .stuns || scheme == .turns) ? 5349 : 3478
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw SignalingError(.malformed, field: "urls", "bad port") }
            port = p
        }
        if scheme == .stun || scheme == .stuns, transport == .tcp {
            throw SignalingError(.malformed, field: "urls", "STUN URLs take no transport")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.transport = transport ?? (scheme == .turns ? .tcp : .udp)
        transportGiven = transport != nil
    }
}
