import Testing
import RingletCore
import RingletSTUN

@Suite("STUN addresses and transport addresses")
struct STUNAddressTransportTests {
    @Test("A transport address survives the trip through its STUN form", arguments: [
        "127.0.0.1:3478", "192.0.2.1:1", "[::1]:5349", "[2001:db8::abcd:1]:65535",
    ])
    func roundTrip(text: String) throws {
        let address = try #require(TransportAddress(text))
        let stun = STUNAddress(address)
        #expect(stun.port == address.port)
        #expect(stun.family == (address.ip.family == .v4 ? .ipv4 : .ipv6))
        #expect(stun.transportAddress == address)
    }
}
