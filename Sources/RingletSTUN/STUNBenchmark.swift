/// Small entry points for `ringlet bench` (RFC 8489): the hot paths, callable without building anything else.
public enum STUNBenchmark {
    /// Parses `bytes` as a STUN message and returns its attribute count (-1 if it does not parse).
    @inline(never)
    public static func parse(_ bytes: [UInt8]) -> Int {
        (try? STUNMessage(parsing: bytes))?.attributeCount ?? -1
    }

    /// Checks MESSAGE-INTEGRITY (or -SHA256, by the key's algorithm) of an already parsed message.
    @inline(never)
    public static func verifyIntegrity(_ message: STUNMessage, key: STUNIntegrityKey) -> Bool {
        message.verifyMessageIntegrity(key)
    }

    /// Parses `bytes` and checks its MESSAGE-INTEGRITY and FINGERPRINT: what a server does per request.
    @inline(never)
    public static func parseAndVerify(_ bytes: [UInt8], key: STUNIntegrityKey) -> Bool {
        guard let m = try? STUNMessage(parsing: bytes) else { return false }
        return m.verifyMessageIntegrity(key) && (!m.hasFingerprint || m.verifyFingerprint())
    }
}
