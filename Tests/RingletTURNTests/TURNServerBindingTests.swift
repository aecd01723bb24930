import RingletCore
import RingletSTUN
import RingletTURN
import Testing

@Suite("TURN server: Binding")
struct TURNServerBindingTests {
    let client = ServerHarness.flow("192.0.2.10:40000")

    func binding(fingerprint: Bool, attributes: [STUNAttribute] = []) throws -> (STUNTransactionID, [UInt8]) {
        var random = SeededRandom(seed: 3)
        let id = STUNTransactionID.random(using: &random)
        let m = try STUNMessage(type: .bindingRequest, transactionID: id, attributes: attributes)
        return (id, try m.encoded(fingerprint: fingerprint))
    }

    @Test("an RFC 5389 Binding request gets XOR-MAPPED-ADDRESS of the client and SOFTWARE")
    func rfc5389Binding() throws {
        var h = try ServerHarness()
        let (id, request) = try binding(fingerprint: false)
        let r = try #require(h.fromClient(request, client).response)
        #expect(r.type == .bindingSuccess)
        #expect(r.transactionID == id)
        let mapped = try #require(try r.attribute(STUNXORMappedAddress.self))
        #expect(mapped.address.transportAddress == client.client)
        #expect(try r.attribute(STUNSoftware.self)?.value == "Ringlet")
        #expect(!r.hasFingerprint)
        #expect(h.server.counters.bindingResponses == 1)
    }

    @Test("a Binding request with FINGERPRINT gets a response with a valid FINGERPRINT")
    func bindingWithFingerprint() throws {
        var h = try ServerHarness()
        let (_, request) = try binding(fingerprint: true)
        let r = try #require(h.fromClient(request, client).response)
        #expect(r.hasFingerprint)
        #expect(r.verifyFingerprint())
    }

    @Test("an IPv6 client's reflexive address comes back XOR-ed with the transaction ID")
    func ipv6Client() throws {
        var h = try ServerHarness()
        let flow = ServerHarness.flow("[2001:db8::7]:5000")
        let (_, request) = try binding(fingerprint: false)
        let r = try #require(h.fromClient(request, flow).response)
        #expect(try r.attribute(STUNXORMappedAddress.self)?.address.transportAddress == flow.client)
    }

    @Test("a Binding request with a wrong FINGERPRINT is dropped")
    func badFingerprint() throws {
        var h = try ServerHarness()
        var (_, request) = try binding(fingerprint: true)
        request[request.count - 1] ^= 0xFF
        #expect(h.fromClient(request, client).isEmpty)
        #expect(h.server.counters.droppedMalformed == 1)
    }

    @Test("RFC 5780 CHANGE-REQUEST gets 420 naming the attribute: this server has one address")
    func changeRequestModern() throws {
        var h = try ServerHarness()
        let change = try STUNAttribute(type: STUNAttributeType(rawValue: 0x0003), value: [0, 0, 0, 6])
        let (_, request) = try binding(fingerprint: false, attributes: [change])
        let r = try #require(h.fromClient(request, client).response)
        #expect(r.errorCode == 420)
        #expect(try r.attribute(STUNUnknownAttributes.self)?.types == [STUNAttributeType(rawValue: 0x0003)])
    }

    /// A classic RFC 3489 request: type, length, 16-byte transaction ID without the magic cookie.
    func classicRequest(attributes: [UInt8] = []) -> [UInt8] {
        [0x00, 0x01, 0x00, UInt8(attributes.count)] + (1...16).map { UInt8($0) } + attributes
    }

    /// Attributes of a classic response (type → value), walking lengths without rounding, as old clients do.
    func classicAttributes(_ bytes: [UInt8]) -> [UInt16: [UInt8]] {
        var out: [UInt16: [UInt8]] = [:]
        var at = 20
        while at + 4 <= bytes.count {
            let t = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
            let n = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard at + 4 + n <= bytes.count else { break }
            out[t] = Array(bytes[(at + 4)..<(at + 4 + n)])
            at += 4 + n
        }
        return out
    }

    @Test("a classic RFC 3489 Binding request gets MAPPED-ADDRESS with its 128-bit transaction ID echoed")
    func classicBinding() throws {
        var h = try ServerHarness()
        let payload = try #require(h.fromClient(classicRequest(), client).toClient().first)
        #expect(Array(payload[0..<2]) == [0x01, 0x01])
        #expect(Int(payload[2]) << 8 | Int(payload[3]) == payload.count - 20)
        #expect(Array(payload[4..<20]) == (1...16).map { UInt8($0) })
        let attributes = classicAttributes(payload)
        // MAPPED-ADDRESS: reserved, family 1, port 40000, 192.0.2.10.
        #expect(attributes[0x0001] == [0, 1, 0x9C, 0x40, 192, 0, 2, 10])
        #expect(attributes[0x0004] == [0, 1, 0x0D, 0x96, 198, 51, 100, 1]) // SOURCE-ADDRESS
        #expect(attributes[0x0005] == [0, 1, 0x0D, 0x96, 198, 51, 100, 1]) // CHANGED-ADDRESS
        let server = try #require(attributes[0x8022])
        #expect(server.count % 4 == 0)
        #expect(String(decoding: server, as: UTF8.self).hasPrefix("Ringlet"))
    }

    @Test("a classic request asking to change IP or port gets no answer", arguments: [UInt8(0x04), 0x02, 0x06])
    func classicChangeRequest(flags: UInt8) throws {
        var h = try ServerHarness()
        #expect(h.fromClient(classicRequest(attributes: [0x00, 0x03, 0x00, 0x04, 0, 0, 0, flags]), client).isEmpty)
    }

    @Test("a classic request with CHANGE-REQUEST flags clear is answered")
    func classicNoChange() throws {
        var h = try ServerHarness()
        #expect(h.fromClient(classicRequest(attributes: [0x00, 0x03, 0x00, 0x04, 0, 0, 0, 0]), client).count == 1)
    }

    @Test("classic answers can be switched off")
    func classicOff() throws {
        var h = try ServerHarness { $0.answersClassicSTUN = false }
        #expect(h.fromClient(classicRequest(), client).isEmpty)
    }

    @Test("an unknown request method gets 400 and a Binding indication gets nothing")
    func otherMethods() throws {
        var h = try ServerHarness()
        var random = SeededRandom(seed: 9)
        let method = try #require(STUNMethod(rawValue: 0x0FF))
        let unknown = try STUNMessage(type: STUNMessageType(method: method, messageClass: .request),
                                      transactionID: .random(using: &random)).encoded()
        #expect(h.fromClient(unknown, client).response?.errorCode == 400)
        let indication = try STUNMessage(type: .bindingIndication, transactionID: .random(using: &random)).encoded()
        #expect(h.fromClient(indication, client).isEmpty)
    }
}
