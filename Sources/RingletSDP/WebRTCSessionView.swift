/// The WebRTC meaning of a session description: the JSEP subset browsers write (RFC 9429 §5), read into
/// typed values. Unknown attributes are ignored; the attributes it reads must be well-formed.
///
/// Session-level ICE credentials and fingerprints are inherited by m-sections that have none
/// (RFC 8839 §5.4, RFC 8122 §5).
public struct WebRTCSessionView: Hashable, Sendable {
    /// The `group` attributes (RFC 5888), in order.
    public let groups: [SDPGroup]
    /// Whether the session declares `ice-lite` (RFC 8839 §5.3).
    public let iceLite: Bool
    /// Whether `extmap-allow-mixed` is present (RFC 8285 §6).
    public let extmapAllowMixed: Bool
    /// Session-level ICE credentials, when written there.
    public let ice: ICEParameters?
    /// Session-level fingerprints.
    public let fingerprints: [DTLSFingerprint]
    /// Session-level `setup`, when written there.
    public let setup: DTLSSetupRole?
    /// The m-sections.
    public let media: [WebRTCMediaView]

    /// Reads the WebRTC attributes of `sdp`.
    /// - Throws: `SDPError` (`.invalidAttribute`, `.duplicateAttribute`) naming the attribute and m-section.
    public init(_ sdp: SessionDescription) throws(SDPError) {
        var groups = [SDPGroup]()
        var fingerprints = [DTLSFingerprint]()
        var setup: DTLSSetupRole?
        var ufrag: String?
        var pwd: String?
        var options: [String]?
        for a in sdp.attributes {
            switch a.name {
            case "group": groups.append(try SDPGroup(parsing: try Self.required(a)))
            case "fingerprint": fingerprints.append(try DTLSFingerprint(parsing: try Self.required(a)))
            case "setup": try Self.once(&setup, DTLSSetupRole(rawValue: try Self.required(a)), a.name)
            case "ice-ufrag": try Self.once(&ufrag, try Self.required(a), a.name)
            case "ice-pwd": try Self.once(&pwd, try Self.required(a), a.name)
            case "ice-options": try Self.once(&options, try Self.options(a), a.name)
            default: break
            }
        }
        let ice = try Self.ice(ufrag, pwd, options)
        var media = [WebRTCMediaView]()
        for (i, m) in sdp.media.enumerated() {
            do {
                media.append(try WebRTCMediaView(m, index: i, sessionICE: ice, sessionFingerprints: fingerprints,
                                                 sessionSetup: setup, sessionICEOptions: options))
            } catch {
                throw error.inMedia(i)
            }
        }
        self.groups = groups
        self.iceLite = sdp.hasAttribute("ice-lite")
        self.extmapAllowMixed = sdp.hasAttribute("extmap-allow-mixed")
        self.ice = ice
        self.fingerprints = fingerprints
        self.setup = setup
        self.media = media
    }

    /// The first `BUNDLE` group (RFC 8843 §7), when present.
    public var bundle: SDPGroup? { groups.first(where: { $0.semantics == "BUNDLE" }) }

    /// The m-section whose `mid` is `mid`.
    public func media(mid: String) -> WebRTCMediaView? { media.first(where: { $0.mid == mid }) }

    static func required(_ a: SDPAttribute) throws(SDPError) -> String {
        guard let v = a.value, !v.isEmpty else {
            throw SDPError(.invalidAttribute, field: a.name, "\(a.name) needs a value")
        }
        return v
    }

    static func options(_ a: SDPAttribute) throws(SDPError) -> [String] {
        guard let t = SDPText.tokens(try required(a)) else {
            throw SDPError(.invalidAttribute, field: "ice-options", "options must be separated by single spaces")
        }
        return t
    }

    static func once<T>(_ slot: inout T?, _ value: T, _ name: String) throws(SDPError) {
        guard slot == nil else { throw SDPError(.duplicateAttribute, field: name, "\(name) appears twice") }
        slot = value
    }

    static func ice(_ ufrag: String?, _ pwd: String?, _ options: [String]?) throws(SDPError) -> ICEParameters? {
        switch (ufrag, pwd) {
        case (nil, nil): return nil
        case let (u?, p?): return try ICEParameters(usernameFragment: u, password: p, options: options ?? [])
        case (_?, nil): throw SDPError(.invalidAttribute, field: "ice-pwd", "ice-ufrag without ice-pwd")
        case (nil, _?): throw SDPError(.invalidAttribute, field: "ice-ufrag", "ice-pwd without ice-ufrag")
        }
    }
}
