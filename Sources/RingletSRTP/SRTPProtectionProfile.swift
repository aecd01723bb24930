/// A DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2): the IANA "DTLS-SRTP Protection Profiles"
/// code point and the transform parameters it stands for.
///
/// Open: unknown values round-trip through `rawValue`; `isSupported` says whether `SRTPContext` implements them.
public struct SRTPProtectionProfile: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The two-byte IANA value.
    public let rawValue: UInt16
    /// Makes a profile from its IANA value.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// SRTP_AES128_CM_HMAC_SHA1_80 {0x00, 0x01} (RFC 5764 §4.1.2).
    public static let aes128CmHmacSha1_80 = SRTPProtectionProfile(rawValue: 0x0001)
    /// SRTP_AES128_CM_HMAC_SHA1_32 {0x00, 0x02} (RFC 5764 §4.1.2): 32-bit SRTP tag, 80-bit SRTCP tag.
    public static let aes128CmHmacSha1_32 = SRTPProtectionProfile(rawValue: 0x0002)
    /// SRTP_AEAD_AES_128_GCM {0x00, 0x07} (RFC 7714 §14.2).
    public static let aeadAes128Gcm = SRTPProtectionProfile(rawValue: 0x0007)

    /// Whether `SRTPContext` implements this profile.
    public var isSupported: Bool { self == .aes128CmHmacSha1_80 || self == .aes128CmHmacSha1_32 || isAEAD }

    /// Whether the profile is an AEAD transform (RFC 7714), with the tag produced by the cipher.
    public var isAEAD: Bool { self == .aeadAes128Gcm }

    /// Master key length in bytes (16 for every supported profile; 0 if unsupported).
    public var masterKeyLength: Int { isSupported ? 16 : 0 }

    /// Master salt length in bytes: 14 for AES-CM (RFC 3711 §8.2), 12 for AES-GCM (RFC 7714 §12).
    public var masterSaltLength: Int { isAEAD ? 12 : (isSupported ? 14 : 0) }

    /// Session encryption key length in bytes (n_e).
    public var sessionKeyLength: Int { masterKeyLength }

    /// Session salt length in bytes (n_s): 14 for AES-CM, 12 for AES-GCM.
    public var sessionSaltLength: Int { masterSaltLength }

    /// Session authentication key length in bytes (n_a): 20 for HMAC-SHA1, 0 for AEAD.
    public var sessionAuthKeyLength: Int { isAEAD || !isSupported ? 0 : 20 }

    /// Authentication tag length on SRTP packets: 10, 4 or 16 (GCM) bytes.
    public var rtpTagLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: return 10
        case .aes128CmHmacSha1_32: return 4
        case .aeadAes128Gcm: return 16
        default: return 0
        }
    }

    /// Authentication tag length on SRTCP packets: 10 for both HMAC profiles (RFC 5764 §4.1.2), 16 for GCM.
    public var rtcpTagLength: Int {
        switch self {
        case .aes128CmHmacSha1_80, .aes128CmHmacSha1_32: return 10
        case .aeadAes128Gcm: return 16
        default: return 0
        }
    }

    /// Bytes of DTLS exporter output this profile needs: 2 × (key + salt) (RFC 5764 §4.2).
    public var keyingMaterialLength: Int { 2 * (masterKeyLength + masterSaltLength) }

    public var description: String {
        switch self {
        case .aes128CmHmacSha1_80: return "SRTP_AES128_CM_HMAC_SHA1_80"
        case .aes128CmHmacSha1_32: return "SRTP_AES128_CM_HMAC_SHA1_32"
        case .aeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM"
        default:
            let hex = Array("0123456789abcdef")
            let v = Int(rawValue)
            return "SRTP profile 0x" + String([hex[(v >> 12) & 15], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15]])
        }
    }
}
