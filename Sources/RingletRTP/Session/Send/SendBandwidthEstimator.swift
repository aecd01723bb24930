import RingletCore

/// What the delay-gradient detector concluded from the latest transport-wide feedback
/// (draft-ietf-rmcat-gcc-02 §5.4).
public enum SendDelaySignal: Hashable, Sendable {
    /// Queues along the path are growing: the sender is over the link's capacity.
    case overuse
    /// Delay is stable.
    case normal
    /// Queues are draining.
    case underuse
}

/// The send-rate estimate: a simplified Google Congestion Control (draft-ietf-rmcat-gcc-02) driven by
/// transport-wide feedback, with a loss-based fallback on receiver reports and REMB as a cap.
///
/// One rate, updated once per feedback message:
/// - delay overuse (trendline slope of the accumulated inter-group delay variation above the threshold) →
///   0.85 × the acknowledged rate;
/// - else loss above 10 % → rate × (1 − 0.5 × loss);
/// - decreases at most once per 300 ms + RTT;
/// - else, with a normal delay signal and loss under 2 % → rate × (1 + 0.08 × seconds since the last update)
///   (8 %/s), never above 1.5 × the acknowledged rate + 10 kbit/s (so an application-limited sender does not
///   inflate it);
/// - else hold.
/// The result is capped by the latest REMB and bounded by the configured minimum and maximum.
struct SendBandwidthEstimator: Sendable {
    struct Bounds: Sendable {
        var minimum: Double
        var maximum: Double
    }

    private struct Sent: Sendable {
        var sequence: UInt16
        var sentAt: Instant
        var size: Int
        var acked: Bool
    }

    private struct Group: Sendable {
        var firstSend: Int64
        var lastSend: Int64
        var lastArrival: Int64
    }

    static let historyCapacity = 8192
    static let trendWindow = 20
    static let groupSpan: Int64 = 5_000_000
    static let threshold = 12.5
    static let smoothing = 0.9

    let bounds: Bounds
    /// The estimate in bits per second.
    private(set) var estimate: Double
    /// The latest REMB bitrate, bits per second.
    private(set) var rembCap: Double?
    /// Fraction of packets reported lost by the latest feedback (0–1).
    private(set) var lossFraction: Double = 0
    /// The latest delay-gradient signal.
    private(set) var signal: SendDelaySignal = .normal
    /// Acknowledged bytes over the last second and in total.
    private(set) var acked = SendRateWindow()
    private var history: [Sent?]
    private var referenceTime: Int64?
    private var lastReferenceRaw: Int32 = 0
    private var group: Group?
    private var previousGroup: Group?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var firstArrival: Int64?
    private var points: [(x: Double, y: Double)] = []
    private var deltaCount = 0
    private var lastUpdate: Instant?
    private var lastDecrease: Instant?

    init(initial: Double, bounds: Bounds) {
        self.bounds = bounds
        estimate = min(max(initial, bounds.minimum), bounds.maximum)
        history = Array(repeating: nil, count: Self.historyCapacity)
    }

    /// Records a packet sent with a transport-wide sequence number.
    mutating func sent(transportSequence seq: UInt16, size: Int, at now: Instant) {
        history[Int(seq) % Self.historyCapacity] = Sent(sequence: seq, sentAt: now, size: size, acked: false)
    }

    /// Takes a REMB: its bitrate caps the estimate.
    mutating func remb(bitrate: UInt64) {
        rembCap = Double(min(bitrate, 1 << 52))
        clamp()
    }

    /// Takes the loss a receiver report gives (used when there is no transport-wide feedback).
    mutating func receiverReportLoss(fraction: Double, now: Instant, rtt: Duration) {
        lossFraction = fraction
        update(loss: fraction, signal: .normal, now: now, rtt: rtt)
    }

    /// Takes one transport-wide feedback message.
    mutating func feedback(_ fb: RTCPTransportWideFeedback, now: Instant, rtt: Duration) {
        let ref = unwrap(fb.referenceTime)
        var arrival = ref &* 64_000_000
        var received = 0, lost = 0
        for r in fb.packetResults() {
            if let delta = r.delta { arrival &+= Int64(delta) &* 250_000 }
            let i = Int(r.sequenceNumber) % Self.historyCapacity
            guard var s = history[i], s.sequence == r.sequenceNumber else { continue }
            if r.status == .notReceived {
                if !s.acked { lost += 1 }
                continue
            }
            guard r.delta != nil else { continue }
            received += 1
            if !s.acked {
                s.acked = true
                history[i] = s
                acked.add(s.size, at: now)
            }
            addToGroup(send: s.sentAt.nanoseconds, arrival: arrival)
        }
        guard received + lost > 0 else { return }
        lossFraction = Double(lost) / Double(received + lost)
        update(loss: lossFraction, signal: signal, now: now, rtt: rtt)
    }

    private mutating func unwrap(_ raw: Int32) -> Int64 {
        guard let current = referenceTime else {
            referenceTime = Int64(raw)
            lastReferenceRaw = raw
            return Int64(raw)
        }
        // 24-bit signed difference.
        let diff = Int64(((raw &- lastReferenceRaw) << 8) >> 8)
        let next = current &+ diff
        if diff > 0 {
            referenceTime = next
            lastReferenceRaw = raw
        }
        return next
    }

    private mutating func addToGroup(send: Int64, arrival: Int64) {
        guard var g = group else {
            group = Group(firstSend: send, lastSend: send, lastArrival: arrival)
            return
        }
        if send < g.firstSend { return }
        if send &- g.firstSend <= Self.groupSpan {
            g.lastSend = max(g.lastSend, send)
            g.lastArrival = max(g.lastArrival, arrival)
            group = g
            return
        }
        if let p = previousGroup { addDelta(previous: p, current: g) }
        previousGroup = g
        group = Group(firstSend: send, lastSend: send, lastArrival: arrival)
    }

    private mutating func addDelta(previous p: Group, current g: Group) {
        let sendDelta = Double(g.lastSend &- p.lastSend) / 1e6
        let arrivalDelta = Double(g.lastArrival &- p.lastArrival) / 1e6
        accumulatedDelay += arrivalDelta - sendDelta
        smoothedDelay = Self.smoothing * smoothedDelay + (1 - Self.smoothing) * accumulatedDelay
        let origin = firstArrival ?? g.lastArrival
        firstArrival = origin
        points.append((Double(g.lastArrival &- origin) / 1e6, smoothedDelay))
        if points.count > Self.trendWindow { points.removeFirst(points.count - Self.trendWindow) }
        deltaCount = min(deltaCount + 1, 60)
        guard points.count == Self.trendWindow else { return }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n
        let my = points.reduce(0) { $0 + $1.y } / n
        var num = 0.0, den = 0.0
        for p in points {
            num += (p.x - mx) * (p.y - my)
            den += (p.x - mx) * (p.x - mx)
        }
        guard den > 0 else { return }
        let trend = num / den * Double(deltaCount) * 4
        signal = trend > Self.threshold ? .overuse : (trend < -Self.threshold ? .underuse : .normal)
    }

    private mutating func update(loss: Double, signal: SendDelaySignal, now: Instant, rtt: Duration) {
        let elapsed = lastUpdate.map { min(1, max(0, Double((now - $0).nanosecondsClamped) / 1e9)) } ?? 0
        lastUpdate = now
        let canDecrease = lastDecrease.map { now - $0 >= .milliseconds(300) + rtt } ?? true
        let ackedBitrate = Double(acked.rate(at: now)) * 8
        if signal == .overuse {
            if canDecrease {
                estimate = 0.85 * (ackedBitrate > 0 ? min(ackedBitrate, estimate) : estimate)
                lastDecrease = now
            }
        } else if loss > 0.10 {
            if canDecrease {
                estimate *= 1 - 0.5 * loss
                lastDecrease = now
            }
        } else if signal == .normal, loss < 0.02 {
            var next = estimate * (1 + 0.08 * elapsed)
            if ackedBitrate > 0 { next = min(next, max(estimate, 1.5 * ackedBitrate + 10_000)) }
            estimate = next
        }
        clamp()
    }

    private mutating func clamp() {
        var e = estimate
        if let rembCap { e = min(e, rembCap) }
        estimate = min(max(e, bounds.minimum), bounds.maximum)
    }
}
