import RingletCore

/// Fuzz entry points for RingletSTUN (SPI, never reachable from the network).
@_spi(Fuzzing)
public enum STUNFuzz {
    /// Parses `data` as a STUN message; when it parses, checks integrity with a fixed key, the fingerprint, and
    /// every known typed attribute (which may throw but must not trap), then checks that encode → parse gives
    /// an equal message and that re-encoding is byte-stable. Traps only if that round trip is broken.
    public static func message(_ data: [UInt8]) {
        guard let m = try? STUNMessage(parsing: data) else { return }
        if let key = try? STUNIntegrityKey(key: Array("fuzz-key".utf8)) { _ = m.verifyMessageIntegrity(key) }
        if let key = try? STUNIntegrityKey(key: Array("fuzz-key".utf8), algorithm: .hmacSHA256) {
            _ = m.verifyMessageIntegrity(key)
        }
        _ = m.verifyFingerprint()
        _ = m.description
        decodeAll(m)
        let once = m.encoded()
        guard let again = try? STUNMessage(parsing: once) else { fatalError("re-encoded message does not parse") }
        guard again == m else { fatalError("decode → encode → decode changed the message") }
        guard again.encoded() == once else { fatalError("re-encoding is not byte-stable") }
    }

    /// Runs every typed decoder on the message (results ignored; errors allowed, traps not).
    static func decodeAll(_ m: STUNMessage) {
        _ = try? m.attribute(STUNMappedAddress.self)
        _ = try? m.attribute(STUNXORMappedAddress.self)
        _ = try? m.attribute(STUNAlternateServer.self)
        _ = try? m.attribute(STUNXORPeerAddress.self)
        _ = try? m.attribute(STUNXORRelayedAddress.self)
        _ = try? m.attribute(STUNUsername.self)
        _ = try? m.attribute(STUNUserHash.self)
        _ = try? m.attribute(STUNRealm.self)
        _ = try? m.attribute(STUNNonce.self)
        _ = try? m.attribute(STUNSoftware.self)
        _ = try? m.attribute(STUNErrorCode.self)
        _ = try? m.attribute(STUNUnknownAttributes.self)
        _ = try? m.attribute(STUNPasswordAlgorithm.self)
        _ = try? m.attribute(STUNPasswordAlgorithms.self)
        _ = try? m.attribute(STUNPriority.self)
        _ = try? m.attribute(STUNUseCandidate.self)
        _ = try? m.attribute(STUNICEControlled.self)
        _ = try? m.attribute(STUNICEControlling.self)
        _ = try? m.attribute(STUNChannelNumber.self)
        _ = try? m.attribute(STUNLifetime.self)
        _ = try? m.attribute(STUNData.self)
        _ = try? m.attribute(STUNRequestedAddressFamily.self)
        _ = try? m.attribute(STUNEvenPort.self)
        _ = try? m.attribute(STUNRequestedTransport.self)
        _ = try? m.attribute(STUNDontFragment.self)
        _ = try? m.attribute(STUNReservationToken.self)
        _ = try? m.attribute(STUNMessageIntegrity.self)
        _ = try? m.attribute(STUNMessageIntegritySHA256.self)
        _ = try? m.attribute(STUNFingerprintValue.self)
    }
}
