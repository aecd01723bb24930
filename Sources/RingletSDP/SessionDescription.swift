import RingletCore

/// A session description as text lines (RFC 8866 §5), kept faithfully: every line, every attribute in order,
/// so that parsing a browser's SDP and printing it again gives the same bytes.
///
/// The grammar (RFC 8866 §9) fixes the order of lines:
/// ```
/// v= o= s= [i=] [u=] *e= *p= [c=] *b= 1*(t= *r=) [z=] [k=] *a=
/// *( m= [i=] *c= *b= [k=] *a= )
/// ```
/// Parsing enforces that order and refuses unknown line types, so that `encode` can print lines back in
/// grammar order. Lines end with CRLF; LF alone is accepted on input, and output always uses CRLF.
///
/// Limits, checked before anything else: at most `maximumSize` bytes, `maximumLineCount` lines and
/// `maximumMediaCount` m-sections.
///
/// For the WebRTC meaning of the attributes, see `WebRTCSessionView`.
public struct SessionDescription: Hashable, Sendable {
    /// Largest input accepted, in bytes (64 KiB; a browser offer with many candidates is under 10 KiB).
    public static let maximumSize = 65_536
    /// Most lines accepted.
    public static let maximumLineCount = 4_096
    /// Most m-sections accepted.
    public static let maximumMediaCount = 64

    /// Protocol version, the `v=` line; always 0.
    public let version: Int
    /// The `o=` line.
    public let origin: SDPOrigin
    /// The `s=` line (JSEP writes `-`).
    public let sessionName: String
    /// The `i=` line, when present.
    public let sessionInformation: String?
    /// The `u=` line, when present.
    public let uri: String?
    /// The `e=` lines.
    public let emails: [String]
    /// The `p=` lines.
    public let phones: [String]
    /// The session-level `c=` line, when present.
    public let connection: SDPConnection?
    /// The session-level `b=` lines.
    public let bandwidths: [SDPBandwidth]
    /// The `t=` lines with their `r=` lines; at least one.
    public let timings: [SDPTiming]
    /// The `z=` line, kept as text, when present.
    public let timeZones: String?
    /// The session-level `k=` line, kept as text, when present.
    public let encryptionKey: String?
    /// The session-level `a=` lines, in order.
    public let attributes: [SDPAttribute]
    /// The m-sections, in order.
    public let media: [MediaDescription]

    /// Makes a session description.
    /// - Throws: `SDPError.Code.invalidField` when `timings` is empty, a text field holds CR, LF or NUL, or
    ///   there are more than `maximumMediaCount` m-sections.
    public init(
        origin: SDPOrigin, sessionName: String = "-", sessionInformation: String? = nil, uri: String? = nil,
        emails: [String] = [], phones: [String] = [], connection: SDPConnection? = nil,
        bandwidths: [SDPBandwidth] = [], timings: [SDPTiming] = [SDPTiming()], timeZones: String? = nil,
        encryptionKey: String? = nil, attributes: [SDPAttribute] = [], media: [MediaDescription] = []
    ) throws(SDPError) {
        guard !timings.isEmpty else { throw SDPError(.missingLine, field: "t", "at least one t= line is required") }
        guard media.count <= Self.maximumMediaCount else {
            throw SDPError(.tooManyLines, field: "m", "more than \(Self.maximumMediaCount) m-sections")
        }
        var texts = [sessionName] + emails + phones + timings.flatMap(\.repeats)
        for t in [sessionInformation, uri, timeZones, encryptionKey] { if let t { texts.append(t) } }
        for a in attributes { if let v = a.value { texts.append(v) } }
        for m in media {
            for a in m.attributes { if let v = a.value { texts.append(v) } }
            for t in [m.title, m.encryptionKey] { if let t { texts.append(t) } }
        }
        guard texts.allSatisfy(Self.isText) else {
            throw SDPError(.invalidText, field: "text", "a field holds CR, LF or NUL")
        }
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName
        self.sessionInformation = sessionInformation
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }

    static func isText(_ s: String) -> Bool {
        !s.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D })
    }

    /// The value of the first session-level attribute called `name` (nil if absent or a property attribute).
    public func attributeValue(_ name: String) -> String? {
        attributes.first(where: { $0.name == name })?.value
    }

    /// Whether a session-level attribute called `name` is present.
    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains(where: { $0.name == name })
    }
}
