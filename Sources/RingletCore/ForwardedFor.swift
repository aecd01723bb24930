/// The `X-Forwarded-For` chain that reverse proxies append to a request (the de facto header; RFC 7239 §5.2
/// describes the same list as `Forwarded: for=`): `client, proxy1, proxy2`, each proxy appending the address it
/// received the request from.
///
/// Only the entries added by proxies the server trusts can be believed: a client may send any list it likes.
/// So the chain is read from the right (the hop nearest the server) and the first entry that is not a trusted
/// proxy is the client.
public enum ForwardedFor {
    /// The most entries read from the right; a longer chain is cut there (its left part is whatever the client
    /// claimed anyway).
    public static let maximumEntries = 32

    /// The client of a request received from `peer`, a trusted proxy, carrying the `X-Forwarded-For` header
    /// `values` (every occurrence, in order): walking the chain from the right, the first address that
    /// `isTrusted` refuses; when every entry is trusted, the leftmost; when an entry is not an address (say
    /// `unknown`), the hop after it, which is the last one that can be believed.
    public static func client(values: [String], peer: IPAddress, isTrusted: (IPAddress) -> Bool) -> IPAddress {
        var entries: [Substring] = []
        for value in values.reversed() {
            for entry in value.split(separator: ",", omittingEmptySubsequences: false).reversed() {
                entries.append(entry)
                if entries.count == maximumEntries { break }
            }
            if entries.count == maximumEntries { break }
        }
        var believed = peer
        for entry in entries {
            guard let ip = address(entry) else { return believed }
            believed = ip
            if !isTrusted(ip) { return ip }
        }
        return believed
    }

    /// One entry: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711`, with
    /// optional surrounding spaces and quotes; nil for anything else.
    public static func address(_ entry: Substring) -> IPAddress? {
        var text = entry.drop { $0 == " " || $0 == "\t" || $0 == "\"" }
        while let last = text.last, last == " " || last == "\t" || last == "\"" { text = text.dropLast() }
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            return IPAddress(String(text[text.index(after: text.startIndex)..<close]))
        }
        if let ip = IPAddress(String(text)) { return ip }
        // IPv4 with a port.
        guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon,
              text[text.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
        guard let ip = IPAddress(String(text[..<colon])), ip.family == .v4 else { return nil }
        return ip
    }
}

extension Character {
    /// `0`…`9`.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// What the first byte of a TCP connection says it carries, for a listener that expects TLS (RFC 8446 §5.1:
/// every TLS connection starts with a handshake record, content type 22) and may meet plain HTTP or plain
/// STUN/TURN instead.
public enum StreamStart: Sendable, Hashable {
    /// A TLS handshake record (0x16).
    case tls
    /// An HTTP/1.x request line (an ASCII capital: `GET`, `POST`, …).
    case http
    /// A STUN message (first two bits 00, RFC 8489 §5), which starts every TURN client's stream.
    case stun
    /// Anything else.
    case unknown

    /// The kind of a stream whose first byte is `first`.
    public static func classify(_ first: UInt8) -> StreamStart {
        switch first {
        case 0x16: .tls
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): .http
        case 0x00...0x3F: .stun
        default: .unknown
        }
    }
}
