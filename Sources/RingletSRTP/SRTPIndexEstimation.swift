/// SRTP packet index estimation (RFC 3711 §3.3.1 and Appendix A).
enum SRTPIndexEstimation {
    /// The 48-bit index `v·2^16 + seq` of a packet with sequence number `seq`, given the highest index seen so
    /// far (`ROC·2^16 + s_l`). Returns nil when the guess would be ROC − 1 with ROC = 0 (before the stream began)
    /// or would pass 2^48 − 1 (the key is exhausted; see `exhausted`).
    @inline(__always)
    static func estimate(seq: UInt16, highest: UInt64) -> UInt64? {
        let roc = highest >> 16
        let sl = UInt16(truncatingIfNeeded: highest)
        let v: UInt64
        if sl < 0x8000 {
            if seq > sl, seq - sl > 0x8000 {
                guard roc > 0 else { return nil }
                v = roc - 1
            } else {
                v = roc
            }
        } else {
            if sl - 0x8000 > seq {
                v = roc + 1
            } else {
                v = roc
            }
        }
        guard v <= 0xFFFF_FFFF else { return nil }
        return v << 16 | UInt64(seq)
    }

    /// Whether `highest` is the last index the 32-bit rollover counter can express.
    @inline(__always)
    static func isAtEnd(_ highest: UInt64) -> Bool { highest >= 0xFFFF_FFFF_FFFF }
}
