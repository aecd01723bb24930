import RingletCore
import Testing

@Suite("Token buckets and IP networks")
struct TokenBucketTests {
    @Test("a full bucket lets its burst through at once, then the steady rate")
    func burstThenRate() {
        var bucket = TokenBucket(capacity: 5, refillPerSecond: 2, now: .zero)
        do {
            let result = (0..<5).allSatisfy { _ in bucket.take(now: .zero) }
            #expect(result)
        }
        do {
            let result = !bucket.take(now: .zero)
            #expect(result)
        }
        do {
            let result = !bucket.take(now: .milliseconds(499))
            #expect(result)
        }
        do {
            let result = bucket.take(now: .milliseconds(500))
            #expect(result)
        }
        do {
            let result = !bucket.take(now: .milliseconds(500))
            #expect(result)
        }
        #expect(bucket.secondsUntil() > 0.4 && bucket.secondsUntil() <= 0.5)
        // Refilling never passes the capacity, and time going backwards adds nothing.
        do {
            let result = bucket.isFull(now: .milliseconds(60_000))
            #expect(result)
        }
        do {
            let result = !bucket.take(6, now: .milliseconds(60_000))
            #expect(result)
        }
        do {
            let result = bucket.take(5, now: .milliseconds(1_000))
            #expect(result)
        }
    }

    @Test("a charge may go into debt, which later refills pay back")
    func charge() {
        var bucket = TokenBucket(capacity: 100, refillPerSecond: 100, now: .zero)
        bucket.charge(150, now: .zero)
        do {
            let result = !bucket.has(1, now: .zero)
            #expect(result)
        }
        do {
            let result = !bucket.has(1, now: .milliseconds(400))
            #expect(result)
        }
        do {
            let result = bucket.has(1, now: .milliseconds(600))
            #expect(result)
        }
    }

    @Test("keyed buckets are separate per key, and a full table forgets idle keys or refuses new ones")
    func keyed() {
        var table = KeyedTokenBuckets<String>(capacity: 2, refillPerSecond: 1, maximumKeys: 2, whenFull: .refuse)
        do {
            let result = table.take("a", now: .zero) && table.take("a", now: .zero)
            #expect(result)
        }
        do {
            let result = !table.take("a", now: .zero)
            #expect(result)
        }
        do {
            let result = table.take("b", now: .zero)
            #expect(result)
        }
        do {
            let result = !table.take("c", now: .zero)
            #expect(result, "a full table of busy keys refuses a new one")
        }
        do {
            let result = !table.take("c", now: .milliseconds(500))
            #expect(result, "and sweeps at most once a second")
        }
        do {
            let result = table.take("c", now: .milliseconds(3_000))
            #expect(result, "idle keys are forgotten")
        }
        #expect(table.count <= 2)
        var open = KeyedTokenBuckets<String>(capacity: 1, refillPerSecond: 0, maximumKeys: 1, whenFull: .allow)
        do {
            let result = open.take("a", now: .zero)
            #expect(result)
        }
        do {
            let result = open.take("b", now: .zero)
            #expect(result, "fail open: allowed without a bucket")
        }
        do {
            let result = open.has("c", now: .zero)
            #expect(result)
        }
        do {
            let result = !open.has("a", now: .zero)
            #expect(result)
        }
    }

    @Test("IP networks match by prefix, per family", arguments: [
        ("169.254.169.254/32", "169.254.169.254", true), ("169.254.169.254/32", "169.254.169.253", false),
        ("10.0.0.0/8", "10.200.1.1", true), ("10.0.0.0/8", "11.0.0.1", false), ("0.0.0.0/0", "8.8.8.8", true),
        ("fd00:ec2::254/128", "fd00:ec2::254", true), ("fd00:ec2::254/128", "fd00:ec2::255", false),
        ("fe80::/10", "fe80::1", true), ("fe80::/10", "fec0::1", false), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "10.0.0.1", false), ("192.0.2.1", "192.0.2.1", true),
    ])
    func networks(network: String, address: String, inside: Bool) throws {
        let net = try #require(IPNetwork(network))
        let ip = try #require(IPAddress(address))
        #expect(net.contains(ip) == inside)
    }

    @Test("malformed networks are refused", arguments: ["10.0.0.0/33", "fe80::/129", "10.0.0.0/-1", "x/8", "10.0.0.0/8/8", "::/1234"])
    func malformedNetworks(text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
