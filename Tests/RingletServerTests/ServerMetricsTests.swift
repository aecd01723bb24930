import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import RingletServer
import Testing

@Suite("Metrics at /metrics")
struct ServerMetricsTests {
    @Test("a counter made with the server's factory shows at /metrics; another server's registry stays apart")
    func rendersRegistry() async throws {
        let harness = try await APIHarness()
        let counter = Counter(label: "ringlet_calls_total", dimensions: [("outcome", "completed")],
                              factory: harness.server.metrics.factory)
        counter.increment(by: 3)
        let other = try await APIHarness()
        Counter(label: "ringlet_other_total", factory: other.server.metrics.factory).increment()
        try await harness.run(.live) { client in
            #expect(try await client.call(.get, "/metrics").status == .unauthorized)
            let answer = try await client.call(.get, "/metrics", harness.admin)
            #expect(answer.status == .ok)
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(text.contains(#"ringlet_calls_total{outcome="completed"} 3"#))
            #expect(!text.contains("ringlet_other_total"))
        }
    }
}
