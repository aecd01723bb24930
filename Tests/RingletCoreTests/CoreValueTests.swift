import Testing
import RingletCore

@Suite("Instants, seeded randomness and redaction")
struct CoreValueTests {
    @Test("Instant arithmetic with durations")
    func instants() {
        let t = Instant.milliseconds(1_000)
        #expect((t + .milliseconds(250)).milliseconds == 1_250)
        #expect((t - .seconds(1)) == .zero)
        #expect((t + .seconds(2)) - t == .seconds(2))
        #expect(Instant.milliseconds(5) < Instant.milliseconds(6))
    }

    @Test("Durations too large for 64-bit nanoseconds clamp instead of trapping")
    func clamp() {
        #expect(Duration.seconds(Int64.max).nanosecondsClamped == .max)
        #expect(Duration.seconds(Int64.min).nanosecondsClamped == .min)
    }

    @Test("The same seed gives the same sequence; another seed another")
    func seeded() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let sa = (0..<8).map { _ in a.next() }
        #expect(sa == (0..<8).map { _ in b.next() })
        #expect(sa != (0..<8).map { _ in c.next() })
        var d = SeededRandom(seed: 1)
        #expect(d.bytes(13).count == 13)
    }

    @Test("A redacted value never prints itself")
    func redacted() {
        let secret = Redacted("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(!"\([secret])".contains("hunter2"))
        #expect(secret.value == "hunter2")
    }
}
