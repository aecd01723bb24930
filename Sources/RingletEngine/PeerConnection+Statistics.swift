import RingletCore
import RingletICE
import RingletRTP

/// A snapshot of a ``PeerConnection`` (the device API's stream status and W3C `getStats()` in spirit).
public struct PeerConnectionStatistics: Sendable {
    /// The connection state.
    public let state: PeerConnectionState
    /// The selected ICE pair, if any.
    public let selectedPair: ICECandidatePair?
    /// Send side: bytes, rates, estimate, RTT, loss, queue, per-stream counters.
    public let send: RTPSendStatistics?
    /// Receive side, per remote SSRC: packets, loss, NACK recoveries, frames.
    public let receive: [UInt32: RTPReceiveStatistics]
    /// Traffic and drop counters of the connection.
    public let counters: PeerConnectionCounters
}

extension PeerConnection {
    /// The statistics at `now`.
    public func statistics(now: Instant) -> PeerConnectionStatistics {
        var receive = [UInt32: RTPReceiveStatistics]()
        for (ssrc, slot) in receivers { receive[ssrc] = slot.stream.statistics }
        return PeerConnectionStatistics(state: connectionState, selectedPair: ice?.selectedPair,
                                        send: sender?.statistics(now: now), receive: receive, counters: counters)
    }
}
