/// The `o=` line: who made the session and which version of it this is (RFC 8866 §5.2).
///
/// `sessionID` and `sessionVersion` are kept as decimal text (RFC 8866 allows any number of digits); use
/// `init(username:sessionID:sessionVersion:...)` with integers to build one.
public struct SDPOrigin: Hashable, Sendable {
    /// The user's login, or `-` (JSEP always writes `-`, RFC 9429 §5.2.1).
    public let username: String
    /// Numeric session identifier, as decimal text.
    public let sessionID: String
    /// Numeric session version, as decimal text; bumped on every new offer or answer (RFC 9429 §5.2.2).
    public let sessionVersion: String
    /// Network type, `IN`.
    public let netType: String
    /// Address type, `IP4` or `IP6`.
    public let addressType: String
    /// The originator's address (JSEP: a placeholder such as `127.0.0.1`).
    public let unicastAddress: String

    /// Makes an origin, checking that every field is a non-empty token without spaces.
    /// - Throws: `SDPError.Code.invalidField` or `.invalidNumber`.
    public init(
        username: String = "-", sessionID: String, sessionVersion: String, netType: String = "IN",
        addressType: String = "IP4", unicastAddress: String = "127.0.0.1"
    ) throws(SDPError) {
        for (name, v) in [("username", username), ("nettype", netType), ("addrtype", addressType),
                          ("unicast-address", unicastAddress)] {
            guard SDPText.isNonWhitespace(v) else {
                throw SDPError(.invalidField, field: "o", "\(name) must be a non-empty string without spaces")
            }
        }
        for (name, v) in [("sess-id", sessionID), ("sess-version", sessionVersion)] {
            guard !v.isEmpty, v.utf8.count <= 64, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw SDPError(.invalidNumber, field: "o", "\(name) must be 1 to 64 decimal digits")
            }
        }
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.netType = netType
        self.addressType = addressType
        self.unicastAddress = unicastAddress
    }

    /// Makes an origin from integer session id and version.
    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64) throws(SDPError) {
        try self.init(username: username, sessionID: String(sessionID), sessionVersion: String(sessionVersion))
    }

    /// Parses the value of an `o=` line (the text after `o=`).
    /// - Throws: `SDPError` with code `.invalidField` or `.invalidNumber`.
    public init(parsing value: String) throws(SDPError) {
        guard let t = SDPText.tokens(value), t.count == 6 else {
            throw SDPError(.invalidField, field: "o", "expected 6 fields separated by single spaces")
        }
        try self.init(
            username: t[0], sessionID: t[1], sessionVersion: t[2], netType: t[3], addressType: t[4],
            unicastAddress: t[5])
    }

    /// The text after `o=`.
    public var value: String {
        "\(username) \(sessionID) \(sessionVersion) \(netType) \(addressType) \(unicastAddress)"
    }
}

/// A `c=` line: where media is sent (RFC 8866 §5.7). JSEP writes `IN IP4 0.0.0.0` (RFC 9429 §5.2.1).
public struct SDPConnection: Hashable, Sendable {
    /// Network type, `IN`.
    public let netType: String
    /// Address type, `IP4` or `IP6`.
    public let addressType: String
    /// The connection address, kept as written (it may carry `/ttl/count` for multicast).
    public let address: String

    /// Makes a connection line, checking that the fields have no spaces.
    /// - Throws: `SDPError.Code.invalidField`.
    public init(netType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") throws(SDPError) {
        guard SDPText.isNonWhitespace(netType), SDPText.isNonWhitespace(addressType),
            SDPText.isNonWhitespace(address)
        else { throw SDPError(.invalidField, field: "c", "fields must be non-empty strings without spaces") }
        self.netType = netType
        self.addressType = addressType
        self.address = address
    }

    /// Parses the value of a `c=` line.
    /// - Throws: `SDPError.Code.invalidField`.
    public init(parsing value: String) throws(SDPError) {
        guard let t = SDPText.tokens(value), t.count == 3 else {
            throw SDPError(.invalidField, field: "c", "expected 3 fields separated by single spaces")
        }
        try self.init(netType: t[0], addressType: t[1], address: t[2])
    }

    /// The text after `c=`.
    public var value: String { "\(netType) \(addressType) \(address)" }
}

/// A `b=` line: a bandwidth limit (RFC 8866 §5.8; `TIAS` from RFC 3890).
public struct SDPBandwidth: Hashable, Sendable {
    /// The modifier: `AS`, `CT`, `TIAS`, or another token.
    public let type: String
    /// The limit (kbit/s for AS and CT, bit/s for TIAS).
    public let bandwidth: UInt64

    /// Makes a bandwidth line.
    /// - Throws: `SDPError.Code.invalidField` when `type` is not a token.
    public init(type: String, bandwidth: UInt64) throws(SDPError) {
        guard SDPText.isToken(type) else { throw SDPError(.invalidField, field: "b", "bwtype must be a token") }
        self.type = type
        self.bandwidth = bandwidth
    }

    /// Parses the value of a `b=` line.
    /// - Throws: `SDPError` with code `.invalidField` or `.invalidNumber`.
    public init(parsing value: String) throws(SDPError) {
        guard let (type, number) = SDPText.splitOnce(value, UInt8(ascii: ":")) else {
            throw SDPError(.invalidField, field: "b", "expected <bwtype>:<bandwidth>")
        }
        guard let bw = SDPText.decimal(number, as: UInt64.self) else {
            throw SDPError(.invalidNumber, field: "b", "bandwidth must be a decimal integer")
        }
        try self.init(type: type, bandwidth: bw)
    }

    /// The text after `b=`.
    public var value: String { "\(type):\(bandwidth)" }
}

/// A `t=` line with the `r=` lines that follow it (RFC 8866 §5.9, §5.10). JSEP writes `t=0 0`.
public struct SDPTiming: Hashable, Sendable {
    /// Start time (NTP seconds), 0 for unbounded.
    public let start: UInt64
    /// Stop time (NTP seconds), 0 for unbounded.
    public let stop: UInt64
    /// The `r=` lines after this `t=` line, kept as text.
    public let repeats: [String]

    /// Makes a timing; `t=0 0` by default.
    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    /// Parses the value of a `t=` line.
    /// - Throws: `SDPError` with code `.invalidField` or `.invalidNumber`.
    public init(parsing value: String) throws(SDPError) {
        guard let t = SDPText.tokens(value), t.count == 2 else {
            throw SDPError(.invalidField, field: "t", "expected <start-time> <stop-time>")
        }
        guard let start = SDPText.decimal(t[0], as: UInt64.self), let stop = SDPText.decimal(t[1], as: UInt64.self)
        else { throw SDPError(.invalidNumber, field: "t", "times must be decimal integers") }
        self.init(start: start, stop: stop)
    }

    /// This timing with one more `r=` line.
    func adding(repeat value: String) -> SDPTiming {
        SDPTiming(start: start, stop: stop, repeats: repeats + [value])
    }

    /// The text after `t=`.
    public var value: String { "\(start) \(stop)" }
}
