import RingletCore

/// Sequence number validation and extension for one source (RFC 3550 Appendix A.1), with the counters of the
/// reception report (A.3).
///
/// Simplifications, on purpose: there is no probation (MIN_SEQUENTIAL): the packets arrive SRTP-authenticated
/// from a signalled or learned source, so the first one is trusted. A jump of more than `maxDropout` ahead (or
/// more than `maxMisorder` behind) is dropped, unless the next packet continues it (`seq == bad_seq`), which is
/// a sender restart: the RFC counters start over from that packet.
///
/// Besides the RFC's 32-bit extended number, every accepted packet gets an `index`: a 64-bit number that keeps
/// increasing across wraps *and* restarts (after a restart the new numbers continue above the old ones), so that
/// the jitter buffer and the NACK list never see time go backwards. An index is always congruent to its sequence
/// number modulo 2^16 (`UInt16(truncatingIfNeeded: index)` is the sequence number); the first is `65536 + seq`.
struct RTPSequenceTracker: Sendable {
    /// What became of one sequence number.
    enum Update: Equatable, Sendable {
        /// Accepted; `isNewHighest` when it moved the highest number forward.
        case accepted(index: Int64, isNewHighest: Bool)
        /// Accepted after a sender restart; the packet dropped just before (sequence number − 1) has index − 1.
        case restarted(index: Int64)
        /// A jump too large to be trusted yet (it becomes a restart if the next packet continues it).
        case dropped
    }

    let maxDropout: UInt16
    let maxMisorder: UInt16

    private(set) var started = false
    private var maxSeq: UInt16 = 0
    /// Wraps of the sequence number, times 65 536 (RFC `cycles`).
    private var cycles: Int64 = 0
    private var baseSeq: Int64 = 0
    private var badSeq: UInt16?
    /// `index - extended` for the current run (changes at a restart).
    private var indexOffset: Int64 = 0
    /// Index of the highest sequence number.
    private(set) var highestIndex: Int64 = -1
    /// Packets received since the last (re)start, duplicates included (RFC `received`).
    private(set) var received: Int64 = 0
    private var expectedPrior: Int64 = 0
    private var receivedPrior: Int64 = 0

    init(maxDropout: Int, maxMisorder: Int) {
        self.maxDropout = UInt16(clamping: maxDropout)
        self.maxMisorder = UInt16(clamping: maxMisorder)
    }

    /// The RFC's extended highest sequence number (cycles and highest number).
    var extendedHighest: Int64 { cycles &+ Int64(maxSeq) }

    /// Packets expected since the last (re)start (A.3).
    var expected: Int64 { started ? extendedHighest &- baseSeq &+ 1 : 0 }

    /// Cumulative packets lost (A.3): expected minus received; negative when duplicates arrived.
    var cumulativeLost: Int64 { expected &- received }

    /// Takes a packet's sequence number.
    mutating func update(_ seq: UInt16) -> Update {
        guard started else {
            restart(seq, index: 65_536 &+ Int64(seq))
            received = 1
            return .accepted(index: highestIndex, isNewHighest: true)
        }
        let delta = seq &- maxSeq
        if delta < maxDropout {
            received &+= 1
            if delta == 0 { return .accepted(index: highestIndex, isNewHighest: false) }
            if seq < maxSeq { cycles &+= 65_536 }
            maxSeq = seq
            badSeq = nil
            highestIndex = extendedHighest &+ indexOffset
            return .accepted(index: highestIndex, isNewHighest: true)
        }
        if delta <= UInt16.max - maxMisorder &+ 1 {
            if let bad = badSeq, bad == seq {
                // The dropped packet (seq − 1) and this one start the new run; the caller may replay the former.
                let previous = seq &- 1
                restart(previous, index: highestIndex &+ 1 &+ Int64(previous &- UInt16(truncatingIfNeeded: highestIndex &+ 1)))
                if seq < previous { cycles = 65_536 }
                maxSeq = seq
                highestIndex &+= 1
                received = 2
                return .restarted(index: highestIndex)
            }
            badSeq = seq &+ 1
            return .dropped
        }
        received &+= 1
        return .accepted(index: highestIndex &- Int64(maxSeq &- seq), isNewHighest: false)
    }

    private mutating func restart(_ seq: UInt16, index: Int64) {
        started = true
        maxSeq = seq
        cycles = 0
        baseSeq = Int64(seq)
        badSeq = nil
        indexOffset = index &- Int64(seq)
        highestIndex = index
        received = 0
        expectedPrior = 0
        receivedPrior = 0
    }

    /// The fraction lost since the previous call, in 1/256 (A.3), and moves the "prior" marks forward.
    mutating func takeFractionLost() -> UInt8 {
        let e = expected, r = received
        let expectedInterval = e &- expectedPrior
        let receivedInterval = r &- receivedPrior
        expectedPrior = e
        receivedPrior = r
        let lostInterval = expectedInterval &- receivedInterval
        guard expectedInterval > 0, lostInterval > 0 else { return 0 }
        return UInt8(clamping: (lostInterval << 8) / expectedInterval)
    }
}
