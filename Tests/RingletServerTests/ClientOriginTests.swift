import Hummingbird
import HTTPTypes
import RingletCore
@testable import RingletServer
import Testing

@Suite("Client origin: forwarded headers believed from trusted proxies only, CIDR networks")
struct ClientOriginTests {
    func headers(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    let policy = ClientOrigin.Policy(behindProxy: true, trustedProxies: [IPNetwork("127.0.0.1")!, IPNetwork("10.0.0.0/8")!],
                                     tls: false)

    @Test("from a trusted proxy, the client and scheme are the forwarded ones")
    func trustedProxy() {
        let origin = ClientOrigin.resolve(
            peer: IPAddress(127, 0, 0, 1),
            headers: headers([("X-Forwarded-For", "198.51.100.7, 10.1.2.3"), ("X-Forwarded-Proto", "https")]),
            policy: policy)
        #expect(origin == ClientOrigin(address: IPAddress(198, 51, 100, 7), isHTTPS: true))
    }

    @Test("from anyone else, or without --behind-proxy, forwarded headers are ignored")
    func untrusted() {
        let forged = headers([("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-Proto", "https")])
        #expect(ClientOrigin.resolve(peer: IPAddress(192, 0, 2, 5), headers: forged, policy: policy)
                == ClientOrigin(address: IPAddress(192, 0, 2, 5), isHTTPS: false))
        var direct = policy
        direct.behindProxy = false
        direct.tls = true
        #expect(ClientOrigin.resolve(peer: IPAddress(127, 0, 0, 1), headers: forged, policy: direct)
                == ClientOrigin(address: IPAddress(127, 0, 0, 1), isHTTPS: true))
    }

    @Test("a normalised request carries exactly the server's judgement, whatever the client sent")
    func normalize() throws {
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/",
                              headerFields: headers([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "7.7.7.7"),
                                                     ("Forwarded", "for=6.6.6.6"), ("X-Real-IP", "6.6.6.6"),
                                                     ("X-Forwarded-Proto", "https")])),
            body: .init(buffer: ByteBuffer()))
        let normalized = ClientOrigin.normalize(request, peer: try .init(ipAddress: "192.0.2.5", port: 4000), policy: policy)
        #expect(normalized.headers[values: HTTPField.Name("X-Forwarded-For")!] == ["192.0.2.5"])
        #expect(normalized.headers[values: HTTPField.Name("X-Forwarded-Proto")!] == ["http"])
        #expect(normalized.headers[HTTPField.Name("Forwarded")!] == nil)
        #expect(normalized.headers[HTTPField.Name("X-Real-IP")!] == nil)
        #expect(ClientOrigin(headers: normalized.headers) == ClientOrigin(address: IPAddress(192, 0, 2, 5), isHTTPS: false))
    }

    @Test("CIDR networks match their addresses, IPv4-mapped IPv6 peers included", arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.0.2.7", "192.0.2.7", true),
        ("192.0.2.7", "192.0.2.8", false), ("0.0.0.0/0", "203.0.113.1", true), ("2001:db8::/32", "2001:db8:1::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("127.0.0.1", "::ffff:127.0.0.1", true), ("::1", "127.0.0.1", false),
        ("2001:db8::/127", "2001:db8::1", true), ("2001:db8::/128", "2001:db8::1", false),
    ])
    func networks(network: String, address: String, contained: Bool) throws {
        let parsed = try #require(IPNetwork(network))
        #expect(parsed.contains(try #require(IPAddress(address))) == contained)
    }

    @Test("bad networks are refused", arguments: ["", "10.0.0.0/", "10.0.0.0/33", "::/129", "host.example", "10.0.0.0/8/8",
                                                  "10.0.0.0/+8"])
    func badNetworks(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }
}
