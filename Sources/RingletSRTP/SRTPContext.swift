/// One SRTP/SRTCP cryptographic context (RFC 3711 §3.2): the session keys derived from one master key, and the
/// per-SSRC state (rollover counter, highest index, replay windows, SRTCP index) of every stream it protects or
/// unprotects.
///
/// Use one context per direction: the local master key for `protectRTP`/`protectRTCP`, the remote one for
/// `unprotectRTP`/`unprotectRTCP`. (A single context can do both; its sending and receiving state are kept apart.)
///
/// Suites: AES_CM_128_HMAC_SHA1_80 and _32 (RFC 3711 §4.1.1, §4.2.1; RFC 5764 §4.1.2) and AEAD_AES_128_GCM
/// (RFC 7714). Key derivation rate 0, no MKI.
///
/// Hot path: every OpenSSL context is keyed once here; per packet only its IV changes. The `into:` and `inPlace:`
/// variants write into a caller-owned buffer and allocate nothing once the buffer has grown and the SSRC is known.
///
/// **Not Sendable.** It owns OpenSSL `EVP_CIPHER_CTX`/`EVP_MAC_CTX` objects, which are mutable and must not be used
/// by two threads at once, plus mutable replay state. Keep each context inside one isolation domain (the engine
/// that owns the peer connection) and pass packets to it, not it to other tasks.
public final class SRTPContext {
    /// Limits of a context. Plain values; validated once by `SRTPContext.init`.
    public struct Configuration: Hashable, Sendable {
        /// Width of the SRTP and SRTCP replay windows in packets (RFC 3711 §3.3.2 asks at least 64).
        /// Default 128; allowed 64…32768.
        public var replayWindowSize: Int
        /// Most SSRCs tracked in each table (sending RTP, receiving RTP, sending RTCP, receiving RTCP). A packet
        /// from a further SSRC is refused with `.tooManyStreams`; the table never grows past it. Default 64;
        /// allowed 1…65536.
        public var maxStreams: Int

        /// Makes a configuration.
        public init(replayWindowSize: Int = 128, maxStreams: Int = 64) {
            self.replayWindowSize = replayWindowSize
            self.maxStreams = maxStreams
        }
    }

    /// Largest packet accepted, in bytes.
    public static let maxPacketSize = 65_536

    /// The protection profile.
    public let profile: SRTPProtectionProfile
    /// The limits in force.
    public let configuration: Configuration

    let rtp: SessionTransform
    let rtcp: SessionTransform

    /// Highest SRTP index sent per SSRC.
    var outboundRTP: [UInt32: UInt64] = [:]
    /// Replay window (and highest index) per received SSRC.
    var inboundRTP: [UInt32: SRTPReplayWindow] = [:]
    /// Next SRTCP index to send per SSRC.
    var outboundRTCP: [UInt32: UInt32] = [:]
    /// SRTCP replay window per received SSRC.
    var inboundRTCP: [UInt32: SRTPReplayWindow] = [:]

    /// Makes a context from a master key.
    ///
    /// - Parameters:
    ///   - profile: the negotiated protection profile.
    ///   - masterKey: master key and salt of the lengths the profile takes.
    ///   - configuration: replay window width and SSRC cap.
    /// - Throws: `SRTPError` `.unsupportedProfile`, `.invalidKeyLength`, `.invalidConfiguration` or `.cryptoFailure`.
    public init(
        profile: SRTPProtectionProfile, masterKey: SRTPMasterKey, configuration: Configuration = Configuration()
    ) throws(SRTPError) {
        guard profile.isSupported else {
            throw SRTPError(.unsupportedProfile, field: "protection profile", profile.description)
        }
        guard masterKey.key.count == profile.masterKeyLength else {
            throw SRTPError(.invalidKeyLength, field: "master key",
                            "\(masterKey.key.count) bytes, expected \(profile.masterKeyLength)")
        }
        guard masterKey.salt.count == profile.masterSaltLength else {
            throw SRTPError(.invalidKeyLength, field: "master salt",
                            "\(masterKey.salt.count) bytes, expected \(profile.masterSaltLength)")
        }
        guard (64...32_768).contains(configuration.replayWindowSize) else {
            throw SRTPError(.invalidConfiguration, field: "replayWindowSize",
                            "\(configuration.replayWindowSize) not in 64...32768")
        }
        guard (1...65_536).contains(configuration.maxStreams) else {
            throw SRTPError(.invalidConfiguration, field: "maxStreams",
                            "\(configuration.maxStreams) not in 1...65536")
        }
        self.profile = profile
        self.configuration = configuration
        func derive(_ label: SRTPKeyDerivation.Label, _ n: Int) throws(SRTPError) -> [UInt8] {
            try SRTPKeyDerivation.derive(masterKey: masterKey.key, masterSalt: masterKey.salt, label: label, length: n)
        }
        let keyLength = profile.sessionKeyLength
        let saltLength = profile.sessionSaltLength
        let authLength = profile.sessionAuthKeyLength
        rtp = try SessionTransform(
            profile: profile,
            key: derive(.rtpEncryption, keyLength), salt: derive(.rtpSalt, saltLength),
            authKey: derive(.rtpAuthentication, authLength))
        rtcp = try SessionTransform(
            profile: profile,
            key: derive(.rtcpEncryption, keyLength), salt: derive(.rtcpSalt, saltLength),
            authKey: derive(.rtcpAuthentication, authLength))
    }

    /// Makes a context from session keys directly, skipping key derivation (for published vectors that give
    /// session keys, such as RFC 7714 §16–17). The same key and salt serve SRTP and SRTCP.
    init(profile: SRTPProtectionProfile, sessionKey: [UInt8], sessionSalt: [UInt8], authKey: [UInt8]) throws(SRTPError) {
        self.profile = profile
        self.configuration = Configuration()
        rtp = try SessionTransform(profile: profile, key: sessionKey, salt: sessionSalt, authKey: authKey)
        rtcp = try SessionTransform(profile: profile, key: sessionKey, salt: sessionSalt, authKey: authKey)
    }

    /// Number of SSRCs this context holds state for, per table (sending RTP, receiving RTP, sending RTCP,
    /// receiving RTCP).
    public var streamCounts: (outboundRTP: Int, inboundRTP: Int, outboundRTCP: Int, inboundRTCP: Int) {
        (outboundRTP.count, inboundRTP.count, outboundRTCP.count, inboundRTCP.count)
    }

    /// The rollover counter last used (sending) or accepted (receiving) for `ssrc`, nil if unknown
    /// (RFC 3711 §3.3.1; the value RFC 4568 or key management may need).
    public func rolloverCounter(ssrc: UInt32, sending: Bool) -> UInt32? {
        let highest = sending ? outboundRTP[ssrc] : inboundRTP[ssrc]?.highest
        return highest.map { UInt32(truncatingIfNeeded: $0 >> 16) }
    }
}

@available(*, unavailable, message: "SRTPContext owns OpenSSL contexts and replay state; keep it in one isolation domain")
extension SRTPContext: Sendable {}

/// The keyed cipher (and, for AES-CM, MAC) of one direction-independent session: SRTP or SRTCP.
final class SessionTransform {
    enum Kind {
        case counterMode(AESCounterMode, HMACSHA1)
        case gcm(AESGCM)
    }

    let kind: Kind
    /// Session salt, zero-padded to 16 bytes.
    let salt: UnsafeMutablePointer<UInt8>
    /// Scratch: the per-packet IV (16 bytes), the MAC output (20 bytes) and a 4-byte word (ROC or SRTCP index).
    let iv: UnsafeMutablePointer<UInt8>
    let mac: UnsafeMutablePointer<UInt8>
    let word: UnsafeMutableRawPointer

    init(profile: SRTPProtectionProfile, key: [UInt8], salt: [UInt8], authKey: [UInt8]) throws(SRTPError) {
        guard salt.count <= 16 else { throw SRTPError(.invalidKeyLength, field: "session salt") }
        if profile.isAEAD {
            kind = try .gcm(AESGCM(key: key))
        } else {
            kind = try .counterMode(AESCounterMode(key: key), HMACSHA1(key: authKey))
        }
        self.salt = .allocate(capacity: 16)
        self.salt.initialize(repeating: 0, count: 16)
        for (i, b) in salt.enumerated() { self.salt[i] = b }
        iv = .allocate(capacity: 16)
        iv.initialize(repeating: 0, count: 16)
        mac = .allocate(capacity: HMACSHA1.length)
        mac.initialize(repeating: 0, count: HMACSHA1.length)
        word = .allocate(byteCount: 4, alignment: 4)
    }

    deinit {
        salt.deallocate()
        iv.deallocate()
        mac.deallocate()
        word.deallocate()
    }

    /// AES-CM IV (RFC 3711 §4.1.1): (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16), into `iv`.
    @inline(__always)
    func counterModeIV(ssrc: UInt32, index: UInt64) {
        for i in 0..<16 { iv[i] = salt[i] }
        iv[4] ^= UInt8(truncatingIfNeeded: ssrc >> 24)
        iv[5] ^= UInt8(truncatingIfNeeded: ssrc >> 16)
        iv[6] ^= UInt8(truncatingIfNeeded: ssrc >> 8)
        iv[7] ^= UInt8(truncatingIfNeeded: ssrc)
        for k in 0..<6 { iv[8 + k] ^= UInt8(truncatingIfNeeded: index >> UInt64(40 - 8 * k)) }
    }

    /// AES-GCM IV (RFC 7714 §8.1, §9.1): (00 00 || SSRC || high || low32) XOR salt, into `iv`; for SRTP `high`
    /// is the ROC and `low` the sequence number, for SRTCP `high` is 0 and `low` the 31-bit SRTCP index.
    @inline(__always)
    func gcmIV(ssrc: UInt32, high: UInt32, low: UInt32, lowIsSequence: Bool) {
        for i in 0..<12 { iv[i] = salt[i] }
        iv[2] ^= UInt8(truncatingIfNeeded: ssrc >> 24)
        iv[3] ^= UInt8(truncatingIfNeeded: ssrc >> 16)
        iv[4] ^= UInt8(truncatingIfNeeded: ssrc >> 8)
        iv[5] ^= UInt8(truncatingIfNeeded: ssrc)
        if lowIsSequence {
            iv[6] ^= UInt8(truncatingIfNeeded: high >> 24)
            iv[7] ^= UInt8(truncatingIfNeeded: high >> 16)
            iv[8] ^= UInt8(truncatingIfNeeded: high >> 8)
            iv[9] ^= UInt8(truncatingIfNeeded: high)
            iv[10] ^= UInt8(truncatingIfNeeded: low >> 8)
            iv[11] ^= UInt8(truncatingIfNeeded: low)
        } else {
            iv[8] ^= UInt8(truncatingIfNeeded: low >> 24)
            iv[9] ^= UInt8(truncatingIfNeeded: low >> 16)
            iv[10] ^= UInt8(truncatingIfNeeded: low >> 8)
            iv[11] ^= UInt8(truncatingIfNeeded: low)
        }
    }
}
