/// Packs DTLS records (RFC 6347 §4.1: a 13-byte header whose last two bytes give the fragment length) into
/// datagrams of at most `mtu` bytes, never splitting a record (§4.1.1: a record must not span datagrams).
enum RecordCoalescer {
    static let headerLength = 13

    /// Calls `emit` with each datagram. A record larger than `mtu` goes alone; bytes that do not form a whole
    /// record (never expected from OpenSSL) go alone as they are.
    static func pack(_ stream: [UInt8], mtu: Int, emit: ([UInt8]) -> Void) {
        var current: [UInt8] = []
        var offset = 0
        while offset < stream.count {
            let remaining = stream.count &- offset
            var length = remaining
            if remaining >= headerLength {
                let fragment = Int(stream[offset &+ 11]) << 8 | Int(stream[offset &+ 12])
                length = min(remaining, headerLength &+ fragment)
            }
            if !current.isEmpty, current.count &+ length > mtu {
                emit(current)
                current.removeAll(keepingCapacity: true)
            }
            current.append(contentsOf: stream[offset..<(offset &+ length)])
            offset &+= length
        }
        if !current.isEmpty { emit(current) }
    }
}
