/// Timing for `ringlet bench`: runs an operation in rounds and reports nanoseconds per operation.
///
/// The machine is shared and noisy, so every figure is a range over rounds (min, median, max), and comparisons
/// are ratios of two operations measured in alternating rounds of the same run.
struct Measurement: Encodable {
    /// Nanoseconds per operation, each round.
    var nsPerOp: [Double]
    var min: Double { nsPerOp.min() ?? 0 }
    var max: Double { nsPerOp.max() ?? 0 }
    var median: Double {
        let s = nsPerOp.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    enum CodingKeys: String, CodingKey { case ns_per_op_min, ns_per_op_median, ns_per_op_max, ops_per_s_median, rounds }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rounded(min), forKey: .ns_per_op_min)
        try c.encode(rounded(median), forKey: .ns_per_op_median)
        try c.encode(rounded(max), forKey: .ns_per_op_max)
        try c.encode(median > 0 ? (1e9 / median).rounded() : 0, forKey: .ops_per_s_median)
        try c.encode(nsPerOp.count, forKey: .rounds)
    }
}

/// A ratio of two operations measured round by round (e.g. ours / raw OpenSSL throughput).
struct Ratio: Encodable {
    var perRound: [Double]
    enum CodingKeys: String, CodingKey { case min, median, max }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let s = perRound.sorted()
        try c.encode(rounded(s.first ?? 0, places: 3), forKey: .min)
        try c.encode(rounded(s.isEmpty ? 0 : s[s.count / 2], places: 3), forKey: .median)
        try c.encode(rounded(s.last ?? 0, places: 3), forKey: .max)
    }
}

func rounded(_ v: Double, places: Int = 1) -> Double {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    return (v * scale).rounded() / scale
}

/// Runs `body` `iterations` times and returns nanoseconds per call. `body` returns a value folded into a sink so
/// the optimizer cannot drop the work.
@inline(never)
func timeOnce(iterations: Int, _ body: () -> Int) -> Double {
    var sink = 0
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { sink &+= body() }
    let elapsed = clock.now - start
    blackHole(sink)
    let (s, atto) = elapsed.components
    let ns = Double(s) * 1e9 + Double(atto) / 1e9
    return ns / Double(iterations)
}

@inline(never)
func blackHole(_ x: Int) {
    if x == 0x5EED_F00D { print("") }
}

/// Calibrates an iteration count so one round of `body` takes about `target` seconds.
func calibrate(target: Double, _ body: () -> Int) -> Int {
    var n = 16
    while true {
        let ns = timeOnce(iterations: n, body) * Double(n)
        if ns >= target * 1e9 / 4 || n >= 1 << 26 {
            let perOp = max(ns / Double(n), 0.1)
            return max(16, Int(target * 1e9 / perOp))
        }
        n *= 4
    }
}

/// Measures several operations in alternating rounds so that machine noise hits them alike.
func measureInterleaved(rounds: Int, secondsPerRound: Double, _ ops: [(String, () -> Int)]) -> [String: Measurement] {
    let counts = ops.map { calibrate(target: secondsPerRound, $0.1) }
    var results = [String: Measurement]()
    for (name, _) in ops { results[name] = Measurement(nsPerOp: []) }
    for _ in 0..<rounds {
        for (i, op) in ops.enumerated() {
            results[op.0, default: Measurement(nsPerOp: [])].nsPerOp.append(timeOnce(iterations: counts[i], op.1))
        }
    }
    return results
}
