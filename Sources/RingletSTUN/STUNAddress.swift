import RingletCore

/// A transport address: family, address and port (RFC 8489 §14.1). No Foundation; the address is held as two
/// 64-bit words (an IPv4 address lives in the low 32 bits of `low`).
public struct STUNAddress: Hashable, Sendable, CustomStringConvertible {
    /// IPv4 or IPv6.
    public let family: STUNAddressFamily
    /// For IPv6 the first 8 address bytes, big-endian; 0 for IPv4.
    public let high: UInt64
    /// For IPv6 the last 8 bytes; for IPv4 the address in the low 32 bits.
    public let low: UInt64
    /// The port.
    public let port: UInt16

    /// An IPv4 address, e.g. `STUNAddress(ipv4: 0xC000_0201, port: 32853)` for 192.0.2.1:32853.
    public init(ipv4: UInt32, port: UInt16) {
        family = .ipv4
        high = 0
        low = UInt64(ipv4)
        self.port = port
    }

    /// An IPv6 address from its two 64-bit halves.
    public init(ipv6High: UInt64, low: UInt64, port: UInt16) {
        family = .ipv6
        high = ipv6High
        self.low = low
        self.port = port
    }

    /// An address from 4 or 16 bytes; nil for any other count.
    public init?<C: Collection>(addressBytes: C, port: UInt16) where C.Element == UInt8 {
        switch addressBytes.count {
        case 4:
            self.init(ipv4: addressBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }, port: port)
        case 16:
            var h: UInt64 = 0, l: UInt64 = 0
            for (i, b) in addressBytes.enumerated() {
                if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
            }
            self.init(ipv6High: h, low: l, port: port)
        default:
            return nil
        }
    }

    /// The IPv4 address as a 32-bit number (0 for IPv6).
    public var ipv4: UInt32 { family == .ipv4 ? UInt32(truncatingIfNeeded: low) : 0 }

    /// The address bytes: 4 for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8] {
        var w = ByteWriter(capacity: 16)
        if family == .ipv4 {
            w.writeUInt32(UInt32(truncatingIfNeeded: low))
        } else {
            w.writeUInt64(high)
            w.writeUInt64(low)
        }
        return w.bytes
    }

    /// "192.0.2.1:32853" or "[2001:db8:1234:5678:11:2233:4455:6677]:32853" (IPv6 groups without zero
    /// compression).
    public var description: String {
        let b = addressBytes
        if family == .ipv4 {
            return b.map(String.init).joined(separator: ".") + ":\(port)"
        }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(b[i]) << 8 | UInt16(b[i + 1]), radix: 16))
        }
        return "[" + groups.joined(separator: ":") + "]:\(port)"
    }

    /// Decodes the MAPPED-ADDRESS value layout; with `xor`, undoes the XOR-MAPPED-ADDRESS obfuscation
    /// (port with the cookie's top 16 bits; IPv4 with the cookie; IPv6 with cookie ‖ transaction ID).
    static func decode(_ value: ArraySlice<UInt8>, xor: Bool, transactionID: STUNTransactionID,
                       field: STUNAttributeType) throws(STUNError) -> STUNAddress
    {
        var r = ByteReader(value)
        do {
            _ = try r.readUInt8() // reserved; receivers ignore it
            let family = STUNAddressFamily(rawValue: try r.readUInt8())
            var port = try r.readUInt16()
            if xor { port ^= UInt16(STUNMessage.magicCookie >> 16) }
            switch family {
            case .ipv4:
                guard value.count == 8 else {
                    throw STUNError(.invalidAttribute, field: field.description, offset: 0,
                                    "IPv4 value is \(value.count) bytes, not 8")
                }
                var a = try r.readUInt32()
                if xor { a ^= STUNMessage.magicCookie }
                return STUNAddress(ipv4: a, port: port)
            case .ipv6:
                guard value.count == 20 else {
                    throw STUNError(.invalidAttribute, field: field.description, offset: 0,
                                    "IPv6 value is \(value.count) bytes, not 20")
                }
                var h = try r.readUInt64()
                var l = try r.readUInt64()
                if xor {
                    h ^= UInt64(STUNMessage.magicCookie) << 32 | UInt64(transactionID.high)
                    l ^= transactionID.low
                }
                return STUNAddress(ipv6High: h, low: l, port: port)
            default:
                throw STUNError(.invalidAttribute, field: field.description, offset: 1,
                                "unknown address family 0x\(String(family.rawValue, radix: 16))")
            }
        } catch let e as ByteReaderError {
            throw STUNError(.invalidAttribute, field: field.description, offset: e.offset, e.description)
        } catch let e as STUNError {
            throw e
        } catch {
            throw STUNError(.invalidAttribute, field: field.description, "\(error)")
        }
    }

    /// Encodes the MAPPED-ADDRESS value layout, XOR-ed when `xor`.
    func encode(into w: inout ByteWriter, xor: Bool, transactionID: STUNTransactionID) {
        w.writeUInt8(0)
        w.writeUInt8(family.rawValue)
        w.writeUInt16(xor ? port ^ UInt16(STUNMessage.magicCookie >> 16) : port)
        if family == .ipv4 {
            let a = UInt32(truncatingIfNeeded: low)
            w.writeUInt32(xor ? a ^ STUNMessage.magicCookie : a)
        } else {
            w.writeUInt64(xor ? high ^ (UInt64(STUNMessage.magicCookie) << 32 | UInt64(transactionID.high)) : high)
            w.writeUInt64(xor ? low ^ transactionID.low : low)
        }
    }
}
