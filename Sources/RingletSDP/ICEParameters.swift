import RingletCore

/// ICE credentials and options of one side (RFC 8839 §5.4 `ice-ufrag`/`ice-pwd`, §5.6 `ice-options`).
public struct ICEParameters: Hashable, Sendable {
    /// The username fragment: 4 to 256 `ice-char`s.
    public let usernameFragment: String
    /// The password: 22 to 256 `ice-char`s. Redacted in descriptions.
    public let password: Redacted<String>
    /// The ICE options, e.g. `["trickle"]` (RFC 8840 §4.1.1).
    public let options: [String]

    /// Makes ICE parameters, checking lengths and characters (RFC 8839 §5.4).
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(usernameFragment: String, password: String, options: [String] = ["trickle"]) throws(SDPError) {
        let u = usernameFragment.utf8, p = password.utf8
        guard (4...256).contains(u.count), u.allSatisfy(SDPText.isICEChar) else {
            throw SDPError(.invalidAttribute, field: "ice-ufrag", "must be 4 to 256 ice-chars")
        }
        guard (22...256).contains(p.count), p.allSatisfy(SDPText.isICEChar) else {
            throw SDPError(.invalidAttribute, field: "ice-pwd", "must be 22 to 256 ice-chars")
        }
        guard options.allSatisfy({ SDPText.isToken($0) }) else {
            throw SDPError(.invalidAttribute, field: "ice-options", "options must be tokens")
        }
        self.usernameFragment = usernameFragment
        self.password = Redacted(password)
        self.options = options
    }

    /// Whether the side supports trickle ICE (RFC 8840 §4.1.1).
    public var trickle: Bool { options.contains("trickle") }

    /// The `ice-ufrag`, `ice-pwd` and (when there are options) `ice-options` attributes.
    var attributes: [SDPAttribute] {
        var a = [
            SDPAttribute(known: "ice-ufrag", usernameFragment), SDPAttribute(known: "ice-pwd", password.value),
        ]
        if !options.isEmpty { a.append(SDPAttribute(known: "ice-options", options.joined(separator: " "))) }
        return a
    }
}

/// The hash of a DTLS certificate that the peer must present (RFC 8122 §5 `fingerprint`).
public struct DTLSFingerprint: Hashable, Sendable {
    /// The hash function name as written, e.g. `sha-256` (RFC 8122 §5, lower case per the registry).
    public let algorithm: String
    /// The hash bytes.
    public let bytes: [UInt8]

    /// Makes a fingerprint. Known algorithms (sha-1, sha-224, sha-256, sha-384, sha-512) must have the right
    /// length.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(algorithm: String, bytes: [UInt8]) throws(SDPError) {
        guard SDPText.isToken(algorithm) else {
            throw SDPError(.invalidAttribute, field: "fingerprint", "hash function must be a token")
        }
        let expected: Int? = switch SDPText.lower(algorithm) {
        case "sha-1": 20
        case "sha-224": 28
        case "sha-256": 32
        case "sha-384": 48
        case "sha-512": 64
        default: nil
        }
        guard !bytes.isEmpty, bytes.count <= 64, expected == nil || expected == bytes.count else {
            throw SDPError(.invalidAttribute, field: "fingerprint", "wrong length for \(algorithm)")
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses a `fingerprint` value: `<hash-func> <XX:XX:...>`.
    /// - Throws: `SDPError.Code.invalidAttribute`.
    public init(parsing value: String) throws(SDPError) {
        guard let t = SDPText.tokens(value), t.count == 2 else {
            throw SDPError(.invalidAttribute, field: "fingerprint", "expected <hash-func> <fingerprint>")
        }
        var out = [UInt8]()
        for part in SDPText.split(t[1], UInt8(ascii: ":")) {
            guard part.utf8.count == 2, let b = [UInt8](hex: part), b.count == 1 else {
                throw SDPError(.invalidAttribute, field: "fingerprint", "fingerprint must be hex pairs split by ':'")
            }
            out.append(b[0])
        }
        try self.init(algorithm: t[0], bytes: out)
    }

    /// The `fingerprint` value, with upper-case hex as RFC 8122 §5 writes it.
    public var value: String {
        algorithm + " " + bytes.map { [$0].hexString.uppercased() }.joined(separator: ":")
    }
}

/// The DTLS role (RFC 8842 §5.1 / RFC 4145 §4 `setup`): an open set so that unknown values round-trip.
public struct DTLSSetupRole: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The value as written.
    public let rawValue: String
    /// Makes a role from its text.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A readable rendering for logs and test failures.
    public var description: String { rawValue }

    /// The endpoint starts the DTLS handshake (it is the DTLS client).
    public static let active = DTLSSetupRole(rawValue: "active")
    /// The endpoint waits for the handshake (it is the DTLS server).
    public static let passive = DTLSSetupRole(rawValue: "passive")
    /// Either; an offer must use this (RFC 8842 §5.2).
    public static let actpass = DTLSSetupRole(rawValue: "actpass")
    /// No connection for now.
    public static let holdconn = DTLSSetupRole(rawValue: "holdconn")
}

/// The media direction attribute (RFC 8866 §6.7, RFC 3264 §5.1).
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    /// Send and receive (the default when absent).
    case sendrecv
    /// Send only.
    case sendonly
    /// Receive only.
    case recvonly
    /// Neither.
    case inactive

    /// Whether this side sends.
    public var sends: Bool { self == .sendrecv || self == .sendonly }
    /// Whether this side receives.
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The direction with these send and receive flags.
    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// The direction as seen from the other side (send and receive swapped).
    public var reversed: MediaDirection { MediaDirection(sends: receives, receives: sends) }
}
