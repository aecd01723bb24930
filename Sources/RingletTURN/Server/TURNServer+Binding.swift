import RingletCore
import RingletSTUN

extension TURNServer {
    /// Attributes a Binding request may carry without a 420 (RFC 8489 §6.3.1; ICE's, which a plain STUN
    /// server ignores, RFC 8445 §16.1).
    static let knownBindingAttributes: Set<STUNAttributeType> = [
        .username, .messageIntegrity, .messageIntegritySHA256, .fingerprint, .realm, .nonce, .userHash,
        .passwordAlgorithm, .priority, .useCandidate,
    ]

    /// Answers a Binding request (RFC 8489 §6.3.1): XOR-MAPPED-ADDRESS of the client's address, SOFTWARE, and
    /// FINGERPRINT when the request had one. No authentication. A comprehension-required attribute we do not
    /// know (for instance RFC 5780's CHANGE-REQUEST, which a one-address server cannot honour) gets 420.
    mutating func handleBinding(_ m: STUNMessage, flow: ClientFlow) {
        guard !refuseUnknownAttributes(m, known: TURNServer.knownBindingAttributes, flow: flow, key: nil) else {
            return
        }
        let mapped = STUNXORMappedAddress(address: STUNAddress(flow.client))
        sendSuccess(for: m, flow: flow, attributes: [STUNAttribute(mapped, transactionID: m.transactionID)], key: nil)
        counters.bindingResponses &+= 1
    }

    /// Answers a classic RFC 3489 Binding request (no magic cookie; the 16 bytes after the length are the
    /// transaction ID) with MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS (both the server's own address:
    /// it has only one) and SERVER (RFC 3489 §11.1, §11.2). A request whose CHANGE-REQUEST asks for another IP or
    /// port gets no answer, as from a server without an alternate address, so NAT-type tests conclude honestly.
    /// Returns false if the bytes are not a classic Binding request.
    mutating func handleClassicBinding(_ bytes: ArraySlice<UInt8>, flow: ClientFlow) -> Bool {
        let s = bytes.startIndex
        guard configuration.answersClassicSTUN, bytes.count >= 20, bytes[s] == 0x00, bytes[s + 1] == 0x01 else {
            return false
        }
        let length = Int(bytes[s + 2]) << 8 | Int(bytes[s + 3])
        guard length & 3 == 0, bytes.count == 20 + length,
              !(bytes[s + 4] == 0x21 && bytes[s + 5] == 0x12 && bytes[s + 6] == 0xA4 && bytes[s + 7] == 0x42)
        else { return false }
        var at = s + 20
        while at < bytes.endIndex {
            guard bytes.endIndex - at >= 4 else { return false }
            let type = UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
            let n = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard bytes.endIndex - at - 4 >= n else { return false }
            if type == 0x0003, n == 4, bytes[at + 7] & 0x06 != 0 { return true } // CHANGE-REQUEST: no answer
            at += 4 + ((n + 3) & ~3)
        }
        var w = ByteWriter(capacity: 96)
        w.writeUInt16(0x0101)
        w.writeUInt16(0) // length, set below
        w.writeBytes(bytes[(s + 4)..<(s + 20)])
        func address(_ type: UInt16, _ a: TransportAddress) {
            w.writeUInt16(type)
            w.writeUInt16(a.ip.family == .v4 ? 8 : 20)
            STUNMappedAddress(address: STUNAddress(a)).encodeValue(into: &w, transactionID: .init(high: 0, low: 0))
        }
        address(0x0001, flow.client) // MAPPED-ADDRESS
        address(0x0004, flow.server) // SOURCE-ADDRESS
        address(0x0005, flow.server) // CHANGED-ADDRESS
        if let software = configuration.software {
            // RFC 3489 §11.2.16: SERVER's length is a multiple of 4, padded with spaces (old parsers skip by
            // the length without rounding).
            var text = Array(software.utf8)
            text.append(contentsOf: repeatElement(0x20, count: ((text.count + 3) & ~3) - text.count))
            w.writeUInt16(0x8022)
            w.writeUInt16(UInt16(truncatingIfNeeded: text.count))
            w.writeBytes(text)
        }
        _ = w.setUInt16(UInt16(truncatingIfNeeded: w.count - 20), at: 2)
        guard admitUnauthenticatedAnswer(to: flow) else { return true }
        outputs.append(.toClient(flow: flow, payload: w.bytes))
        counters.bindingResponses &+= 1
        return true
    }
}
