/// One `fmtp` parameter: `key=value`, or a bare `key` (RFC 8866 §6.15; the format is codec-specific).
public struct FormatParameter: Hashable, Sendable {
    /// The key (or the whole item when there is no `=`).
    public let key: String
    /// The text after `=`, or nil.
    public let value: String?

    /// Makes a parameter.
    public init(_ key: String, _ value: String?) {
        self.key = key
        self.value = value
    }

    /// `key=value` or `key`.
    public var text: String { value.map { "\(key)=\($0)" } ?? key }
}

/// One `rtcp-fb` entry for a payload type (RFC 4585 §4.2): a type such as `nack`, `ccm`, `goog-remb`,
/// `transport-cc`, with an optional parameter such as `pli` or `fir`.
public struct RTCPFeedback: Hashable, Sendable {
    /// The feedback type.
    public let type: String
    /// The parameter after the type, or nil.
    public let parameter: String?

    /// Makes a feedback entry.
    public init(_ type: String, _ parameter: String? = nil) {
        self.type = type
        self.parameter = parameter
    }

    /// Generic NACK (RFC 4585 §6.2.1).
    public static let nack = RTCPFeedback("nack")
    /// Picture loss indication (RFC 4585 §6.3.1).
    public static let nackPLI = RTCPFeedback("nack", "pli")
    /// Full intra request (RFC 5104 §3.5.1).
    public static let ccmFIR = RTCPFeedback("ccm", "fir")
    /// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb).
    public static let googREMB = RTCPFeedback("goog-remb")
    /// Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions).
    public static let transportCC = RTCPFeedback("transport-cc")

    /// The text after `a=rtcp-fb:<pt> `.
    public var text: String { parameter.map { "\(type) \($0)" } ?? type }
}

/// An RTP payload format as negotiated in SDP: `rtpmap` (RFC 8866 §6.6), `fmtp` (§6.15) and `rtcp-fb`
/// (RFC 4585 §4.2) for one payload type.
public struct RTPCodec: Hashable, Sendable {
    /// The payload type, 0–127 (RFC 3550 §5.1).
    public let payloadType: UInt8
    /// The encoding name as written, e.g. `opus`, `H264`, `PCMU`.
    public let name: String
    /// The RTP clock rate in Hz.
    public let clockRate: UInt32
    /// The channel count for audio, when written.
    public let channels: UInt32?
    /// The `fmtp` parameters, in order.
    public let parameters: [FormatParameter]
    /// The `rtcp-fb` entries for this payload type (including those written with `*`), in order.
    public let feedback: [RTCPFeedback]

    /// Makes a codec.
    /// - Throws: `SDPError.Code.invalidAttribute` when the payload type exceeds 127 or the name is not a
    ///   token without `/`.
    public init(
        payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt32? = nil,
        parameters: [FormatParameter] = [], feedback: [RTCPFeedback] = []
    ) throws(SDPError) {
        guard payloadType <= 127 else {
            throw SDPError(.invalidAttribute, field: "rtpmap", "payload type must be 0 to 127")
        }
        guard SDPText.isToken(name), !name.utf8.contains(UInt8(ascii: "/")) else {
            throw SDPError(.invalidAttribute, field: "rtpmap", "encoding name must be a token without '/'")
        }
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// Makes a codec from values the caller knows to be valid (the writers' constants).
    init(
        unchecked payloadType: UInt8, _ name: String, _ clockRate: UInt32, _ channels: UInt32?,
        _ parameters: [FormatParameter], _ feedback: [RTCPFeedback]
    ) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// The value of the first `fmtp` parameter called `key` (case-insensitive, RFC 6184 §8.1 and others).
    public func parameter(_ key: String) -> String? {
        let k = SDPText.lower(key)
        return parameters.first(where: { SDPText.lower($0.key) == k })?.value
    }

    /// Whether the encoding name matches `name`, ignoring case (RFC 4855 §3: names are case-insensitive).
    public func isNamed(_ name: String) -> Bool { SDPText.lower(self.name) == SDPText.lower(name) }

    /// The `rtpmap` value: `<pt> <name>/<rate>[/<channels>]`.
    public var rtpmapValue: String {
        var s = "\(payloadType) \(name)/\(clockRate)"
        if let channels { s += "/\(channels)" }
        return s
    }

    /// The `fmtp` value (`<pt> k=v;k=v`), or nil when there are no parameters.
    public var fmtpValue: String? {
        guard !parameters.isEmpty else { return nil }
        return "\(payloadType) " + parameters.map(\.text).joined(separator: ";")
    }

    /// The `rtpmap`, `rtcp-fb` and `fmtp` attributes, in the order Chromium writes them.
    var attributes: [SDPAttribute] {
        var a = [SDPAttribute(known: "rtpmap", rtpmapValue)]
        for f in feedback { a.append(SDPAttribute(known: "rtcp-fb", "\(payloadType) \(f.text)")) }
        if let fmtpValue { a.append(SDPAttribute(known: "fmtp", fmtpValue)) }
        return a
    }

    /// Parses an `rtpmap` value into (payload type, name, clock rate, channels).
    static func parseRTPMap(_ value: String) throws(SDPError) -> (UInt8, String, UInt32, UInt32?) {
        guard let t = SDPText.tokens(value), t.count == 2, let pt = SDPText.decimal(t[0], as: UInt8.self),
            pt <= 127
        else { throw SDPError(.invalidAttribute, field: "rtpmap", "expected <payload type 0-127> <encoding>") }
        let parts = SDPText.split(t[1], UInt8(ascii: "/"))
        guard parts.count == 2 || parts.count == 3, SDPText.isToken(parts[0]),
            let rate = SDPText.decimal(parts[1], as: UInt32.self)
        else { throw SDPError(.invalidAttribute, field: "rtpmap", "expected <name>/<clock rate>[/<channels>]") }
        var channels: UInt32?
        if parts.count == 3 {
            guard let c = SDPText.decimal(parts[2], as: UInt32.self) else {
                throw SDPError(.invalidAttribute, field: "rtpmap", "channels must be a decimal integer")
            }
            channels = c
        }
        return (pt, parts[0], rate, channels)
    }

    /// Parses an `fmtp` value into (payload type or format, parameters). Parameters are split on `;` and
    /// trimmed of spaces; empty items are skipped.
    static func parseFMTP(_ value: String) throws(SDPError) -> (String, [FormatParameter]) {
        guard let (format, rest) = SDPText.splitOnce(value, SDPText.space), !format.isEmpty else {
            throw SDPError(.invalidAttribute, field: "fmtp", "expected <format> <parameters>")
        }
        var params = [FormatParameter]()
        for item in SDPText.split(rest, UInt8(ascii: ";")) {
            let trimmed = String(decoding: Array(item.utf8).trimmingSpaces(), as: UTF8.self)
            guard !trimmed.isEmpty else { continue }
            if let (k, v) = SDPText.splitOnce(trimmed, UInt8(ascii: "=")) {
                params.append(FormatParameter(k, v))
            } else {
                params.append(FormatParameter(trimmed, nil))
            }
        }
        return (format, params)
    }

    /// Parses an `rtcp-fb` value into (payload type or `*`, feedback).
    static func parseRTCPFeedback(_ value: String) throws(SDPError) -> (String, RTCPFeedback) {
        guard let t = SDPText.tokens(value), t.count == 2 || t.count == 3 else {
            throw SDPError(.invalidAttribute, field: "rtcp-fb", "expected <pt|*> <type> [<parameter>]")
        }
        guard t[0] == "*" || SDPText.decimal(t[0], as: UInt8.self) != nil else {
            throw SDPError(.invalidAttribute, field: "rtcp-fb", "payload type must be a number or '*'")
        }
        return (t[0], RTCPFeedback(t[1], t.count == 3 ? t[2] : nil))
    }
}

extension Array where Element == UInt8 {
    func trimmingSpaces() -> ArraySlice<UInt8> {
        var s = self[...]
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }
}
