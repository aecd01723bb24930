/// The media type of an m-line (RFC 8866 §5.14): an open set so that unknown types round-trip.
public struct SDPMediaType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type as written.
    public let rawValue: String
    /// Makes a media type from its name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A readable rendering for logs and test failures.
    public var description: String { rawValue }

    /// `audio`.
    public static let audio = SDPMediaType(rawValue: "audio")
    /// `video`.
    public static let video = SDPMediaType(rawValue: "video")
    /// `application` (data channels, RFC 8841).
    public static let application = SDPMediaType(rawValue: "application")
    /// `text`.
    public static let text = SDPMediaType(rawValue: "text")
    /// `message`.
    public static let message = SDPMediaType(rawValue: "message")
}

/// One media description: an `m=` line and the `i=`, `c=`, `b=`, `k=` and `a=` lines under it
/// (RFC 8866 §5.14). In JSEP terms, an "m= section" (RFC 9429 §5.2.1).
public struct MediaDescription: Hashable, Sendable {
    /// The media type (`audio`, `video`, `application`, …).
    public let media: SDPMediaType
    /// The transport port; 0 marks a rejected or `bundle-only` m-section (RFC 8843 §7.3).
    public let port: UInt16
    /// The `/<number of ports>` after the port, when present.
    public let portCount: UInt32?
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF` (RFC 5764 §8).
    public let proto: String
    /// The media formats: RTP payload types for RTP protocols, or e.g. `webrtc-datachannel`.
    public let formats: [String]
    /// The `i=` line, when present.
    public let title: String?
    /// The `c=` lines.
    public let connections: [SDPConnection]
    /// The `b=` lines.
    public let bandwidths: [SDPBandwidth]
    /// The `k=` line (obsolete, kept as text), when present.
    public let encryptionKey: String?
    /// The `a=` lines, in order.
    public let attributes: [SDPAttribute]

    /// Makes a media description, checking that the media type, proto and formats are tokens and that
    /// there is at least one format.
    /// - Throws: `SDPError.Code.invalidField`.
    public init(
        media: SDPMediaType, port: UInt16, portCount: UInt32? = nil, proto: String, formats: [String],
        title: String? = nil, connections: [SDPConnection] = [], bandwidths: [SDPBandwidth] = [],
        encryptionKey: String? = nil, attributes: [SDPAttribute] = []
    ) throws(SDPError) {
        guard SDPText.isToken(media.rawValue) else {
            throw SDPError(.invalidField, field: "m", "media type must be a token")
        }
        guard SDPText.isNonWhitespace(proto) else {
            throw SDPError(.invalidField, field: "m", "proto must be a non-empty string without spaces")
        }
        guard !formats.isEmpty, formats.allSatisfy({ SDPText.isNonWhitespace($0) }) else {
            throw SDPError(.invalidField, field: "m", "at least one format, each without spaces, is required")
        }
        if let portCount, portCount == 0 {
            throw SDPError(.invalidNumber, field: "m", "number of ports must be positive")
        }
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.title = title
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// Parses the value of an `m=` line into a description with no other lines yet.
    /// - Throws: `SDPError` with code `.invalidField` or `.invalidNumber`.
    init(parsingMediaLine value: String) throws(SDPError) {
        guard let t = SDPText.tokens(value), t.count >= 4 else {
            throw SDPError(.invalidField, field: "m", "expected <media> <port> <proto> <fmt> ...")
        }
        let portText: String
        var count: UInt32?
        if let (p, n) = SDPText.splitOnce(t[1], UInt8(ascii: "/")) {
            portText = p
            guard let c = SDPText.decimal(n, as: UInt32.self) else {
                throw SDPError(.invalidNumber, field: "m", "number of ports must be a decimal integer")
            }
            count = c
        } else {
            portText = t[1]
        }
        guard let port = SDPText.decimal(portText, as: UInt16.self) else {
            throw SDPError(.invalidNumber, field: "m", "port must be a decimal integer from 0 to 65535")
        }
        try self.init(
            media: SDPMediaType(rawValue: t[0]), port: port, portCount: count, proto: t[2],
            formats: Array(t[3...]))
    }

    /// The text after `m=`.
    public var mediaLineValue: String {
        var s = "\(media.rawValue) \(port)"
        if let portCount { s += "/\(portCount)" }
        s += " \(proto)"
        for f in formats { s += " \(f)" }
        return s
    }

    /// A copy with different fields; the writers use it to assemble sections line by line.
    func with(
        port: UInt16? = nil, title: String?? = nil, connections: [SDPConnection]? = nil,
        bandwidths: [SDPBandwidth]? = nil, encryptionKey: String?? = nil, attributes: [SDPAttribute]? = nil
    ) -> MediaDescription {
        MediaDescription(
            unchecked: media, port: port ?? self.port, portCount: portCount, proto: proto, formats: formats,
            title: title ?? self.title, connections: connections ?? self.connections,
            bandwidths: bandwidths ?? self.bandwidths, encryptionKey: encryptionKey ?? self.encryptionKey,
            attributes: attributes ?? self.attributes)
    }

    private init(
        unchecked media: SDPMediaType, port: UInt16, portCount: UInt32?, proto: String, formats: [String],
        title: String?, connections: [SDPConnection], bandwidths: [SDPBandwidth], encryptionKey: String?,
        attributes: [SDPAttribute]
    ) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.title = title
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// The value of the first attribute called `name` (nil if absent or a property attribute).
    public func attributeValue(_ name: String) -> String? {
        attributes.first(where: { $0.name == name })?.value
    }

    /// Whether an attribute called `name` is present.
    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains(where: { $0.name == name })
    }
}
