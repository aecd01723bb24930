import Testing
import RingletCore

@Suite("IP and transport addresses")
struct IPAddressTests {
    @Test("Text forms parse and print back in canonical form", arguments: [
        ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("fe80::1:0:0:2", "fe80::1:0:0:2"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"), ("::", "::"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ])
    func roundTrip(text: String, canonical: String) throws {
        let ip = try #require(IPAddress(text))
        #expect(ip.description == canonical)
        #expect(IPAddress(bytes: ip.bytes) == ip)
    }

    @Test("The two 64-bit halves rebuild the address without bytes", arguments: [
        "127.0.0.1", "::1", "2001:db8::abcd:1", "::ffff:192.0.2.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ])
    func halves(text: String) throws {
        let ip = try #require(IPAddress(text))
        let (high, low) = ip.halves
        let rebuilt = ip.family == .v4 ? IPAddress(v4: UInt32(truncatingIfNeeded: low)) : IPAddress(v6High: high, low: low)
        #expect(rebuilt == ip)
        let bytes = ip.bytes
        #expect(ip.family == .v4 ? high == 0 : high == bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) })
    }

    @Test("Malformed text is refused", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":::",
        "g::1", "1.2.3.a", "::1.2.3",
    ])
    func malformed(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("Loopback, private, link-local and unspecified ranges")
    func ranges() throws {
        #expect(try #require(IPAddress("127.9.9.9")).isLoopback)
        #expect(IPAddress.loopbackV6.isLoopback)
        #expect(!(try #require(IPAddress("128.0.0.1")).isLoopback))
        for p in ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "fd00::1"] {
            #expect(try #require(IPAddress(p)).isPrivate, "\(p)")
        }
        for p in ["172.32.0.1", "11.0.0.1", "100.128.0.1", "2001:db8::1", "8.8.8.8"] {
            #expect(!(try #require(IPAddress(p)).isPrivate), "\(p)")
        }
        #expect(try #require(IPAddress("169.254.1.1")).isLinkLocal)
        #expect(try #require(IPAddress("fe80::1")).isLinkLocal)
        #expect(IPAddress.anyV4.isUnspecified)
    }

    @Test("Transport addresses parse and print with brackets for IPv6")
    func transport() throws {
        let a = try #require(TransportAddress("127.0.0.1:3478"))
        #expect(a.port == 3478 && a.ip == .loopbackV4)
        #expect(a.description == "127.0.0.1:3478")
        let b = try #require(TransportAddress("[::1]:9"))
        #expect(b.description == "[::1]:9")
        #expect(TransportAddress("127.0.0.1") == nil)
        #expect(TransportAddress("127.0.0.1:70000") == nil)
        #expect(TransportAddress("[::1:9") == nil)
    }

    @Test("Byte counts other than 4 and 16 are refused")
    func byteCounts() {
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 17)) == nil)
        #expect(IPAddress(bytes: [10, 0, 0, 1])?.v4Value == 0x0A00_0001)
    }
}
