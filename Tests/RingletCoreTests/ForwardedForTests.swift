import RingletCore
import Testing

@Suite("X-Forwarded-For chains and the first byte of a TLS port")
struct ForwardedForTests {
    let proxies: Set<IPAddress> = [IPAddress(10, 0, 0, 1), IPAddress(10, 0, 0, 2)]

    @Test("the client is the rightmost address that is not a trusted proxy", arguments: [
        (["198.51.100.7"], "198.51.100.7"),
        (["198.51.100.7, 10.0.0.2"], "198.51.100.7"),
        (["6.6.6.6, 198.51.100.7"], "198.51.100.7"),            // a forged left part is not believed
        (["6.6.6.6", "198.51.100.7, 10.0.0.2"], "198.51.100.7"), // several headers read as one list
        (["10.0.0.2, 10.0.0.1"], "10.0.0.2"),                   // only proxies: the leftmost
        (["203.0.113.9, unknown, 10.0.0.2"], "10.0.0.2"),       // garbage stops the walk at the last believable hop
        (["[2001:db8::7]:4711"], "2001:db8::7"),
        (["198.51.100.7:4711"], "198.51.100.7"),
        ([" \"2001:db8::8\" "], "2001:db8::8"),
    ])
    func client(values: [String], expected: String) {
        let client = ForwardedFor.client(values: values, peer: IPAddress(10, 0, 0, 1)) { proxies.contains($0) }
        #expect(client == IPAddress(expected))
    }

    @Test("entries that are not addresses are refused", arguments: ["", "unknown", "1.2.3", "1.2.3.4:x", "[::1", "::1]:80",
                                                                 "2001:db8::1:80:", "1.2.3.4:5:6", "_hidden"])
    func notAnAddress(_ entry: String) {
        #expect(ForwardedFor.address(Substring(entry)) == nil)
    }

    @Test("a very long chain is read only as far as its 32 rightmost entries")
    func longChain() {
        let chain = (["203.0.113.1"] + Array(repeating: "10.0.0.1", count: 40)).joined(separator: ",")
        let client = ForwardedFor.client(values: [chain], peer: IPAddress(10, 0, 0, 1)) { proxies.contains($0) }
        #expect(client == IPAddress(10, 0, 0, 1))
    }

    @Test("the first byte tells TLS, plain HTTP, plain STUN and anything else apart", arguments: [
        (UInt8(0x16), StreamStart.tls), (UInt8(ascii: "G"), .http), (UInt8(ascii: "P"), .http), (0x00, .stun), (0x01, .stun),
        (0x40, .unknown), (0x80, .unknown), (0xFF, .unknown),
    ])
    func streamKind(byte: UInt8, kind: StreamStart) {
        #expect(StreamStart.classify(byte) == kind)
    }
}
