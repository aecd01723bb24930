/// An `extmap` attribute: a local identifier for an RTP header extension (RFC 8285 §8).
public struct RTPHeaderExtensionMap: Hashable, Sendable {
    /// The identifier: 1–14 for one-byte headers, 1–255 for two-byte headers, 4096–4351 during
    /// negotiation (RFC 8285 §8).
    public let id: UInt16
    /// The direction after `/`, when written.
    public let direction: MediaDirection?
    /// The extension's URI.
    public let uri: String
    /// Extension attributes after the URI, when written.
    public let extensionAttributes: String?

    /// Absolute send time (webrtc.org).
    public static let absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    public static let transportWideCCURI =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// The m-section identifier (RFC 8843 §15.1).
    public static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// Client-to-mixer audio level (RFC 6464).
    public static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

    /// Makes an extension mapping.
    /// - Throws: `SDPError.Code.invalidAttribute` when the id is out of range or the URI has spaces.
    public init(
        id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil
    ) throws(SDPError) {
        guard (1...255).contains(id) || (4096...4351).contains(id) else {
            throw SDPError(.invalidAttribute, field: "extmap", "id must be 1-255 or 4096-4351")
        }
        guard SDPText.isNonWhitespace(uri) else {
            throw SDPError(.invalidAttribute, field: "extmap", "URI must be non-empty without spaces")
        }
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    /// Parses an `extmap` value: `<id>[/<direction>] <uri> [<attributes>]`.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing value: String) throws(SDPError) {
        guard let (head, rest) = SDPText.splitOnce(value, SDPText.space) else {
            throw SDPError(.invalidAttribute, field: "extmap", "expected <id> <uri>")
        }
        var idText = head
        var direction: MediaDirection?
        if let (i, d) = SDPText.splitOnce(head, UInt8(ascii: "/")) {
            guard let dir = MediaDirection(rawValue: d) else {
                throw SDPError(.invalidAttribute, field: "extmap", "unknown direction \(d)")
            }
            idText = i
            direction = dir
        }
        guard let id = SDPText.decimal(idText, as: UInt16.self) else {
            throw SDPError(.invalidAttribute, field: "extmap", "id must be a decimal integer")
        }
        if let (uri, attrs) = SDPText.splitOnce(rest, SDPText.space) {
            try self.init(id: id, direction: direction, uri: uri, extensionAttributes: attrs)
        } else {
            try self.init(id: id, direction: direction, uri: rest)
        }
    }

    /// The `extmap` value.
    public var value: String {
        var s = String(id)
        if let direction { s += "/\(direction.rawValue)" }
        s += " \(uri)"
        if let extensionAttributes { s += " \(extensionAttributes)" }
        return s
    }
}

/// An `ssrc` attribute: a source-level attribute such as `cname` or `msid` (RFC 5576 §4.1).
public struct SSRCAttribute: Hashable, Sendable {
    /// The synchronization source.
    public let ssrc: UInt32
    /// The source attribute's name, e.g. `cname`.
    public let name: String
    /// Its value, when written.
    public let value: String?

    /// Makes a source attribute.
    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    /// Parses an `ssrc` value: `<ssrc-id> <attribute>[:<value>]`.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing text: String) throws(SDPError) {
        guard let (id, rest) = SDPText.splitOnce(text, SDPText.space),
            let ssrc = SDPText.decimal(id, as: UInt32.self)
        else { throw SDPError(.invalidAttribute, field: "ssrc", "expected <ssrc-id> <attribute>") }
        let attr = try SDPAttribute(parsing: rest)
        self.init(ssrc: ssrc, name: attr.name, value: attr.value)
    }

    /// The `ssrc` value.
    public var text: String { "\(ssrc) " + (value.map { "\(name):\($0)" } ?? name) }
}

/// An `ssrc-group` attribute, e.g. `FID` pairing a stream with its retransmissions (RFC 5576 §4.2).
public struct SSRCGroup: Hashable, Sendable {
    /// The semantics, e.g. `FID` or `SIM`.
    public let semantics: String
    /// The sources in the group, in order.
    public let ssrcs: [UInt32]

    /// Makes a group.
    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    /// Parses an `ssrc-group` value: `<semantics> <ssrc-id> ...`.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing text: String) throws(SDPError) {
        guard let t = SDPText.tokens(text), SDPText.isToken(t[0]) else {
            throw SDPError(.invalidAttribute, field: "ssrc-group", "expected <semantics> <ssrc-id> ...")
        }
        var ids = [UInt32]()
        for s in t.dropFirst() {
            guard let id = SDPText.decimal(s, as: UInt32.self) else {
                throw SDPError(.invalidAttribute, field: "ssrc-group", "ssrc-id must be a 32-bit decimal")
            }
            ids.append(id)
        }
        self.init(semantics: t[0], ssrcs: ids)
    }
}

/// A `group` attribute, e.g. `BUNDLE 0 1` (RFC 5888 §5, RFC 8843 §7).
public struct SDPGroup: Hashable, Sendable {
    /// The semantics, e.g. `BUNDLE`.
    public let semantics: String
    /// The identification tags (mids), in order.
    public let mids: [String]

    /// Makes a group.
    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    /// Parses a `group` value.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing text: String) throws(SDPError) {
        guard let t = SDPText.tokens(text), SDPText.isToken(t[0]) else {
            throw SDPError(.invalidAttribute, field: "group", "expected <semantics> *(SP <mid>)")
        }
        self.init(semantics: t[0], mids: Array(t.dropFirst()))
    }

    /// The `group` value.
    public var value: String { ([semantics] + mids).joined(separator: " ") }
}

/// An `msid` attribute: the media stream and track an m-section belongs to (RFC 8830 §2).
public struct MediaStreamID: Hashable, Sendable {
    /// The stream id (`-` for no stream).
    public let streamID: String
    /// The track id (the "appdata"), when written.
    public let trackID: String?

    /// Makes an msid.
    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    /// Parses an `msid` value: `<id> [<appdata>]`.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing text: String) throws(SDPError) {
        guard let t = SDPText.tokens(text), t.count <= 2 else {
            throw SDPError(.invalidAttribute, field: "msid", "expected <id> [<appdata>]")
        }
        self.init(streamID: t[0], trackID: t.count == 2 ? t[1] : nil)
    }

    /// The `msid` value.
    public var value: String { trackID.map { "\(streamID) \($0)" } ?? streamID }
}
