import CRingletSockets
#if canImport(Glibc)
import Glibc
#endif
import RingletCore

/// Nonblocking UDP sockets for the TURN data path, opened and closed with plain system calls.
enum UDPSocket {
    /// Opens a nonblocking UDP socket bound to `address` (port 0: the kernel picks one) with SO_RCVBUF and
    /// SO_SNDBUF of `bufferSize` (the kernel may clamp it to net.core.rmem_max/wmem_max); `dontFragment` sets
    /// IP_MTU_DISCOVER = IP_PMTUDISC_DO on IPv4 (RFC 8656 §14.8 DONT-FRAGMENT).
    /// - Returns: the descriptor and the bound address.
    /// - Throws: `addressInUse` when the port is taken, else `socketFailed`, with errno.
    static func bind(_ address: TransportAddress, bufferSize: Int, dontFragment: Bool = false)
        throws(NIOShellError) -> (fd: Int32, local: TransportAddress)
    {
        let family = address.ip.family == .v4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NIOShellError(.socketFailed, "socket: errno \(errno)") }
        var size = Int32(clamping: bufferSize)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        if dontFragment, address.ip.family == .v4 {
            var mode = Int32(IP_PMTUDISC_DO)
            _ = setsockopt(fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &mode, socklen_t(MemoryLayout<Int32>.size))
        }
        var storage = sockaddr_storage()
        let length = address.store(into: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw NIOShellError(error == EADDRINUSE ? .addressInUse : .socketFailed, "bind: errno \(error)")
        }
        var localStorage = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &localStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        guard named == 0, let local = TransportAddress(storage: localStorage) else {
            close(fd)
            throw NIOShellError(.socketFailed, "getsockname: errno \(errno)")
        }
        return (fd, local)
    }
}

extension TransportAddress {
    /// The address held in a `sockaddr_storage` (AF_INET or AF_INET6), or nil for another family.
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(IPAddress(v4: UInt32(bigEndian: a.sin_addr.s_addr)), UInt16(bigEndian: a.sin_port))
        case AF_INET6:
            let a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var address = a.sin6_addr
            let (high, low) = withUnsafeBytes(of: &address) { raw in
                (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                 UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(IPAddress(v6High: high, low: low), UInt16(bigEndian: a.sin6_port))
        default:
            return nil
        }
    }

    /// Writes this address into `storage` as a sockaddr_in or sockaddr_in6; returns its length.
    func store(into storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        let (high, low) = ip.halves
        switch ip.family {
        case .v4:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = UInt32(truncatingIfNeeded: low).bigEndian
            UnsafeMutableRawPointer(storage).storeBytes(of: a, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            UnsafeMutableRawPointer(storage).storeBytes(of: a, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }
}

/// The message headers, I/O vectors and socket addresses of one `recvmmsg`/`sendmmsg` call, allocated once.
final class MessageVector {
    /// Messages it holds.
    let count: Int
    let headers: UnsafeMutablePointer<ringlet_mmsghdr>
    private let iovecs: UnsafeMutablePointer<iovec>
    let names: UnsafeMutablePointer<sockaddr_storage>

    init(count: Int) {
        self.count = max(1, count)
        headers = .allocate(capacity: self.count)
        headers.initialize(repeating: ringlet_mmsghdr(), count: self.count)
        iovecs = .allocate(capacity: self.count)
        iovecs.initialize(repeating: iovec(), count: self.count)
        names = .allocate(capacity: self.count)
        names.initialize(repeating: sockaddr_storage(), count: self.count)
    }

    deinit {
        headers.deallocate()
        iovecs.deallocate()
        names.deallocate()
    }

    /// Points message `i` (0 ≤ `i` < ``count``) at `length` bytes at `bytes` and at name `i`, whose length
    /// is `nameLength` (for a receive: the room there is).
    func set(_ i: Int, bytes: UnsafeMutableRawPointer, length: Int, nameLength: socklen_t) {
        iovecs[i] = iovec(iov_base: bytes, iov_len: length)
        headers[i] = ringlet_mmsghdr(
            msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(names + i), msg_namelen: nameLength,
                            msg_iov: iovecs + i, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
            msg_len: 0)
    }
}

/// Receives up to ``count`` datagrams per `recvmmsg` into one reused byte array (``count`` slots of
/// ``slotSize`` bytes); a datagram larger than a slot is marked truncated.
final class DatagramReceiveBatch {
    /// Datagrams per call.
    var count: Int { vector.count }
    /// Bytes per datagram.
    let slotSize: Int
    /// The datagrams of the last ``receive(from:)``, slot by slot.
    private var bytes: [UInt8]
    private let vector: MessageVector
    /// How many datagrams the last ``receive(from:)`` got.
    private(set) var received = 0

    init(count: Int, slotSize: Int) {
        vector = MessageVector(count: count)
        self.slotSize = max(1, slotSize)
        bytes = [UInt8](repeating: 0, count: vector.count * self.slotSize)
    }

    /// Reads what `fd` has, up to ``count`` datagrams. Returns 0, or errno when the call failed (EAGAIN when
    /// nothing was waiting; ECONNREFUSED and the like report an ICMP error queued on the socket).
    func receive(from fd: Int32) -> Int32 {
        received = 0
        let slot = slotSize
        let vector = self.vector
        let n = bytes.withUnsafeMutableBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 0 }
            for i in 0..<vector.count {
                vector.set(i, bytes: base + i * slot, length: slot,
                           nameLength: socklen_t(MemoryLayout<sockaddr_storage>.size))
            }
            return ringlet_recvmmsg(fd, vector.headers, UInt32(vector.count))
        }
        guard n >= 0 else { return errno }
        received = min(Int(n), count)
        return 0
    }

    /// Datagram `i` of the last receive (0 ≤ `i` < ``received``): its bytes, its source (nil for an unknown
    /// family) and whether it was cut to the slot size.
    func datagram(_ i: Int) -> (bytes: ArraySlice<UInt8>, source: TransportAddress?, truncated: Bool) {
        guard i >= 0, i < received else { return ([], nil, true) }
        let header = vector.headers[i]
        let length = min(Int(header.msg_len), slotSize)
        let truncated = header.msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0
        let start = i * slotSize
        return (bytes[start..<(start + length)], TransportAddress(storage: vector.names[i]), truncated)
    }
}

/// Collects outgoing datagrams — their bytes appended to ``arena`` — and sends them with one `sendmmsg` per
/// socket in ``flush()`` (datagrams from one socket keep their order).
final class DatagramSendBatch {
    struct Entry {
        var fd: Int32
        let destination: TransportAddress
        let start: Int
        let length: Int
    }

    /// Datagrams held before a flush is due.
    var capacity: Int { vector.count }
    /// Bytes held before a flush is due.
    let arenaLimit: Int
    /// The bytes of the queued datagrams, back to back (the TURN core writes relayed messages straight here).
    /// Used on one thread and never reentered, so exclusivity is not checked at run time.
    @exclusivity(unchecked) var arena: ByteWriter
    @exclusivity(unchecked) private var entries: [Entry] = []
    private let vector: MessageVector

    init(capacity: Int, arenaLimit: Int) {
        vector = MessageVector(count: capacity)
        self.arenaLimit = arenaLimit
        arena = ByteWriter(capacity: arenaLimit + 70_000)
        entries.reserveCapacity(vector.count)
    }

    /// No datagram queued.
    var isEmpty: Bool { entries.isEmpty }

    /// Time to flush: ``capacity`` datagrams or ``arenaLimit`` bytes are held.
    var isFull: Bool { entries.count >= capacity || arena.count >= arenaLimit }

    /// Queues the bytes from `start` to the end of ``arena`` as one datagram from `fd` to `destination`.
    func append(fd: Int32, destination: TransportAddress, from start: Int) {
        entries.append(Entry(fd: fd, destination: destination, start: start, length: arena.count - start))
    }

    /// Sends every queued datagram and empties the batch.
    /// - Returns: datagrams the kernel refused (`failed`, e.g. no route) and datagrams dropped because a
    ///   socket's send buffer was full (`dropped`, EAGAIN).
    func flush() -> (failed: Int, dropped: Int) {
        var failed = 0, dropped = 0
        arena.bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            for first in entries.indices where entries[first].fd >= 0 {
                let fd = entries[first].fd
                var n = 0
                for j in first..<entries.count where entries[j].fd == fd && n < vector.count {
                    let e = entries[j]
                    entries[j].fd = -1
                    vector.set(n, bytes: UnsafeMutableRawPointer(mutating: base + e.start), length: e.length,
                               nameLength: e.destination.store(into: vector.names + n))
                    n += 1
                }
                var sent = 0
                while sent < n {
                    let r = ringlet_sendmmsg(fd, vector.headers + sent, UInt32(n - sent))
                    if r > 0 {
                        sent += Int(r)
                    } else if r == 0 || errno == EAGAIN || errno == EWOULDBLOCK {
                        dropped += n - sent
                        break
                    } else if errno != EINTR {
                        failed += 1 // this one datagram; carry on with the next
                        sent += 1
                    }
                }
            }
        }
        entries.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        return (failed, dropped)
    }
}
