/// An IPv4 or IPv6 address, stored inline (no allocation), usable as a dictionary key on hot paths.
///
/// Peer addresses are personal data: wrap them in `Redacted` before they reach a log.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Hashable, Sendable {
        /// IPv4 (4 bytes).
        case v4
        /// IPv6 (16 bytes).
        case v6
    }

    /// The family of this address.
    public let family: Family
    /// Bytes 0–7 of an IPv6 address; 0 for IPv4.
    @usableFromInline let high: UInt64
    /// Bytes 8–15 of an IPv6 address; for IPv4 the address in the low 32 bits.
    @usableFromInline let low: UInt64

    /// An IPv4 address from its four bytes.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        family = .v4
        high = 0
        low = UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
    }

    private init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit big-endian value.
    public init(v4 value: UInt32) {
        family = .v4
        high = 0
        low = UInt64(value)
    }

    /// An IPv6 address from its two 64-bit halves (bytes 0–7 and 8–15, big-endian), without touching bytes.
    public init(v6High high: UInt64, low: UInt64) {
        family = .v6
        self.high = high
        self.low = low
    }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes in network order; nil for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4:
            family = .v4
            high = 0
            low = bytes.reduce(0) { $0 << 8 | UInt64($1) }
        case 16:
            family = .v6
            var h: UInt64 = 0, l: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
            }
            high = h
            low = l
        default:
            return nil
        }
    }

    /// The address as two 64-bit big-endian halves: bytes 0–7 and 8–15 of an IPv6 address; for IPv4, 0 and the
    /// address in the low 32 bits. Allocates nothing (unlike ``bytes``).
    public var halves: (high: UInt64, low: UInt64) { (high, low) }

    /// The IPv4 value (big-endian number), or nil for IPv6.
    public var v4Value: UInt32? { family == .v4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// The address bytes in network order (4 or 16).
    public var bytes: [UInt8] {
        switch family {
        case .v4: return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * UInt64($0))) }
        case .v6:
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
        }
    }

    /// 127.0.0.1.
    public static let loopbackV4 = IPAddress(127, 0, 0, 1)
    /// ::1.
    public static let loopbackV6 = IPAddress(family: .v6, high: 0, low: 1)
    /// 0.0.0.0.
    public static let anyV4 = IPAddress(0, 0, 0, 0)

    /// 127.0.0.0/8 or ::1 (RFC 1122, RFC 4291).
    public var isLoopback: Bool {
        switch family {
        case .v4: return low >> 24 == 127
        case .v6: return high == 0 && low == 1
        }
    }

    /// RFC 1918 private IPv4 (10/8, 172.16/12, 192.168/16), CGN shared space 100.64/10 (RFC 6598), or IPv6
    /// unique local fc00::/7 (RFC 4193).
    public var isPrivate: Bool {
        switch family {
        case .v4:
            let v = UInt32(truncatingIfNeeded: low)
            return v >> 24 == 10 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8 || v >> 22 == 0x191
        case .v6: return high >> 57 == 0x7E
        }
    }

    /// 169.254/16 or fe80::/10.
    public var isLinkLocal: Bool {
        switch family {
        case .v4: return UInt32(truncatingIfNeeded: low) >> 16 == 0xA9FE
        case .v6: return high >> 54 == 0x3FA
        }
    }

    /// 0.0.0.0 or ::.
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// Parses dotted-quad IPv4 or RFC 4291/5952 IPv6 text (with `::`, and an embedded IPv4 tail); nil if invalid.
    public init?(_ text: String) {
        if let v4 = Self.parseV4(Substring(text)) {
            self.init(v4: v4)
            return
        }
        guard let v6 = Self.parseV6(text) else { return nil }
        self.init(bytes: v6)
    }

    private static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt32(p), n <= 255,
                  p.count == 1 || p.first != "0"
            else { return nil }
            value = value << 8 | n
        }
        return value
    }

    private static func parseV6(_ text: String) -> [UInt8]? {
        guard text.count <= 45, text.contains(":") else { return nil }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out = [UInt16]()
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, p.contains("."), let v4 = parseV4(p) {
                    out.append(UInt16(truncatingIfNeeded: v4 >> 16))
                    out.append(UInt16(truncatingIfNeeded: v4))
                } else {
                    guard (1...4).contains(p.count), let g = UInt16(p, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0]), let tail = groups(halves[1]), head.count + tail.count <= 7 else {
                return nil
            }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let g = groups(halves[0]), g.count == 8 else { return nil }
            all = g
        }
        return all.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }

    /// Dotted-quad for IPv4; RFC 5952 text for IPv6 (lower case, longest zero run as `::`).
    public var description: String {
        switch family {
        case .v4:
            return bytes.map(String.init).joined(separator: ".")
        case .v6:
            let b = bytes
            let g = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
            var bestStart = -1, bestLength = 0, i = 0
            while i < 8 {
                if g[i] == 0 {
                    var j = i
                    while j < 8 && g[j] == 0 { j += 1 }
                    if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
                    i = j
                } else {
                    i += 1
                }
            }
            func hex(_ r: Range<Int>) -> String { r.map { String(g[$0], radix: 16) }.joined(separator: ":") }
            if bestStart < 0 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        }
    }
}

extension String {
    /// Splits at "::" (at most once meaningful; a second "::" yields three parts, which callers refuse).
    fileprivate func components(separatedByDoubleColon: Void) -> [Substring] {
        var parts = [Substring]()
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<i])
                start = index(after: next)
                i = start
            } else {
                i = next
            }
        }
        parts.append(self[start...])
        return parts
    }
}

/// An IP address and a port: one end of a UDP or TCP flow.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IP address.
    public let ip: IPAddress
    /// The port.
    public let port: UInt16

    /// Makes a transport address.
    public init(_ ip: IPAddress, _ port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses "a.b.c.d:port" or "[v6]:port"; nil if invalid.
    public init?(_ text: String) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let ip = IPAddress(String(host)), let port = UInt16(portText) else { return nil }
        self.init(ip, port)
    }

    /// "a.b.c.d:port" or "[v6]:port".
    public var description: String {
        ip.family == .v4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }
}

/// The transport a flow uses.
public enum TransportProtocol: String, Hashable, Sendable {
    /// UDP.
    case udp
    /// TCP (framed per RFC 4571 or, for TURN, by STUN/ChannelData lengths).
    case tcp
}

/// A datagram with its addresses, as the sans-IO core takes it in and hands it out.
public struct Datagram: Hashable, Sendable {
    /// Where it came from (or, outgoing, the local address it leaves from).
    public var source: TransportAddress
    /// Where it goes.
    public var destination: TransportAddress
    /// The bytes.
    public var payload: [UInt8]
    /// The transport: UDP, or a message framed on a TCP connection between the two addresses (TURN over TCP).
    public var transport: TransportProtocol

    /// Makes a datagram.
    public init(source: TransportAddress, destination: TransportAddress, payload: [UInt8],
                transport: TransportProtocol = .udp) {
        self.source = source
        self.destination = destination
        self.payload = payload
        self.transport = transport
    }
}
