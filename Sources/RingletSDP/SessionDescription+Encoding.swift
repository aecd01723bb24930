import RingletCore

extension SessionDescription {
    /// Appends the description as SDP text, each line ending in CRLF, in RFC 8866 §9 grammar order.
    public func encode(into writer: inout ByteWriter) {
        forEachLine { type, value in
            writer.writeUInt8(type)
            writer.writeUInt8(UInt8(ascii: "="))
            writer.writeBytes(value.utf8)
            writer.writeUInt8(0x0D)
            writer.writeUInt8(0x0A)
        }
    }

    /// The number of bytes `encode(into:)` writes.
    public var encodedSize: Int {
        var n = 0
        forEachLine { _, value in n &+= value.utf8.count &+ 4 }
        return n
    }

    /// The description as SDP text with CRLF line endings.
    public var text: String {
        var w = ByteWriter(capacity: encodedSize)
        encode(into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The description as UTF-8 bytes with CRLF line endings.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: encodedSize)
        encode(into: &w)
        return w.bytes
    }

    /// Calls `body` with the type letter and value of every line, in order.
    func forEachLine(_ body: (UInt8, String) -> Void) {
        body(UInt8(ascii: "v"), String(version))
        body(UInt8(ascii: "o"), origin.value)
        body(UInt8(ascii: "s"), sessionName)
        if let sessionInformation { body(UInt8(ascii: "i"), sessionInformation) }
        if let uri { body(UInt8(ascii: "u"), uri) }
        for e in emails { body(UInt8(ascii: "e"), e) }
        for p in phones { body(UInt8(ascii: "p"), p) }
        if let connection { body(UInt8(ascii: "c"), connection.value) }
        for b in bandwidths { body(UInt8(ascii: "b"), b.value) }
        for t in timings {
            body(UInt8(ascii: "t"), t.value)
            for r in t.repeats { body(UInt8(ascii: "r"), r) }
        }
        if let timeZones { body(UInt8(ascii: "z"), timeZones) }
        if let encryptionKey { body(UInt8(ascii: "k"), encryptionKey) }
        for a in attributes { body(UInt8(ascii: "a"), a.text) }
        for m in media {
            body(UInt8(ascii: "m"), m.mediaLineValue)
            if let title = m.title { body(UInt8(ascii: "i"), title) }
            for c in m.connections { body(UInt8(ascii: "c"), c.value) }
            for b in m.bandwidths { body(UInt8(ascii: "b"), b.value) }
            if let key = m.encryptionKey { body(UInt8(ascii: "k"), key) }
            for a in m.attributes { body(UInt8(ascii: "a"), a.text) }
        }
    }
}
