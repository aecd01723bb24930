import Foundation
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// What an operator reads at `/metrics` of a real `ringlet serve --dev` after a call between the web app and a
/// real `ringlet device`.
@Suite("Metrics an operator reads", .serialized, .timeLimit(.minutes(3)))
struct OperatorMetricsTests {
    /// The exposition's samples: series (name with labels) → value.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    @Test("every series has HELP and TYPE; calls by outcome (dropped included), ring latency and call setup histograms, process memory and descriptors, failed authentications by where")
    func metricsAfterACall() async throws {
        try await WebAppBench.run { bench in
            let (_, page) = try await signedInPage(bench)
            let device = try await authorizedDevice(bench, page)
            let call = try await deviceCalls(device, page, openId: try await openID(of: page, server: bench.server))
            try await answerWithMedia(page, device, after: call.mark)
            try await page.click(button: "Hang up")
            try await waitForCallEnd(page, "hang_up", "You hung up.")
            #expect(try await bench.server.request("GET", "/v1/me", .user("rlu_not-a-token")).status == 401)

            let answer = try await bench.server.request("GET", "/metrics", .admin)
            #expect(answer.status == 200)
            let text = String(decoding: answer.body, as: UTF8.self)
            let lines = text.split(separator: "\n").map(String.init)
            // HELP (with words) right before each TYPE, and a TYPE for every sample's family.
            var typed: Set<String> = []
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = String(line.split(separator: " ")[2])
                typed.insert(name)
                let help = index > 0 ? lines[index - 1] : ""
                #expect(help.hasPrefix("# HELP \(name) ") && help.count > "# HELP \(name) ".count + 10, "\(name): \(help)")
            }
            for line in lines where !line.hasPrefix("#") && !line.isEmpty {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = ["_bucket", "_sum", "_count"].reduce(name) { n, s in
                    n.hasSuffix(s) && typed.contains(String(n.dropLast(s.count))) ? String(n.dropLast(s.count)) : n
                }
                #expect(typed.contains(family), "\(name) has no TYPE")
            }
            let values = Self.samples(text)
            #expect(values[#"ringlet_calls_total{outcome="completed"}"#] == 1, "\(values.filter { $0.key.hasPrefix("ringlet_calls") })")
            for outcome in ["dropped", "rejected", "timeout", "failed", "busy", "cancelled"] {
                #expect(values[#"ringlet_calls_total{outcome="\#(outcome)"}"#] == 0, "\(outcome) is a series from the start")
            }
            #expect(values[#"ringlet_ring_latency_seconds_count{direction="device_to_user"}"#] == 1)
            #expect((values[#"ringlet_ring_latency_seconds_sum{direction="device_to_user"}"#] ?? 9) < 1)
            #expect(values[#"ringlet_call_setup_seconds_count{direction="device_to_user"}"#] == 1)
            #expect((values["process_resident_memory_bytes"] ?? 0) > 5_000_000)
            let fds = values["process_open_fds"] ?? 0
            #expect(fds > 5 && fds < (values["process_max_fds"] ?? 0), "\(fds) open")
            #expect((values["process_cpu_seconds_total"] ?? 0) > 0)
            #expect((values["process_start_time_seconds"] ?? 0) > 1_700_000_000)
            #expect((values[#"ringlet_auth_failures_total{where="http"}"#] ?? 0) >= 1)
            #expect(values[#"ringlet_auth_failures_total{where="signaling"}"#] != nil)
        }
    }
}
