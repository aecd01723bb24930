/// An SRTP master key and master salt (RFC 3711 §3.2.1, §8.2), from which every session key is derived.
///
/// Never printed: `description` is redacted, so a key that reaches a log shows nothing.
public struct SRTPMasterKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The master key (16 bytes for the supported profiles).
    public let key: [UInt8]
    /// The master salt (14 bytes for AES-CM, 12 for AES-GCM).
    public let salt: [UInt8]

    /// Wraps a master key and salt; `SRTPContext.init` checks their lengths against the profile.
    public init(key: [UInt8], salt: [UInt8]) {
        self.key = key
        self.salt = salt
    }

    /// Splits DTLS-SRTP exporter output (RFC 5764 §4.2): client_write_key | server_write_key |
    /// client_write_salt | server_write_salt.
    ///
    /// - Parameters:
    ///   - keyingMaterial: `profile.keyingMaterialLength` bytes exported with label "EXTRACTOR-dtls_srtp".
    ///   - profile: the negotiated protection profile.
    /// - Returns: the client's and the server's master keys (the client protects with its own).
    /// - Throws: `SRTPError` `.unsupportedProfile` or `.invalidKeyLength`.
    public static func split(
        keyingMaterial: [UInt8], profile: SRTPProtectionProfile
    ) throws(SRTPError) -> (client: SRTPMasterKey, server: SRTPMasterKey) {
        guard profile.isSupported else {
            throw SRTPError(.unsupportedProfile, field: "protection profile", profile.description)
        }
        let k = profile.masterKeyLength
        let s = profile.masterSaltLength
        guard keyingMaterial.count == 2 * (k + s) else {
            throw SRTPError(.invalidKeyLength, field: "DTLS-SRTP keying material",
                            "\(keyingMaterial.count) bytes, expected \(2 * (k + s))")
        }
        let m = keyingMaterial
        let client = SRTPMasterKey(key: Array(m[0..<k]), salt: Array(m[(2 * k)..<(2 * k + s)]))
        let server = SRTPMasterKey(key: Array(m[k..<(2 * k)]), salt: Array(m[(2 * k + s)..<(2 * k + 2 * s)]))
        return (client, server)
    }

    public var description: String { "SRTPMasterKey(<redacted>)" }
    public var debugDescription: String { description }
}
