import Foundation
import Glibc
import RingletCore

/// A UDP socket bound on 127.0.0.1, with receives that wait at most a given time (plain Glibc, blocking calls,
/// no threads). The receive buffer is 4 MiB so that a burst from a real peer (ffmpeg at full speed) is not lost
/// while the test does something else. Closed when released.
public final class LoopbackUDPSocket {
    /// The file descriptor (close-on-exec).
    public let fd: Int32
    /// The local port it is bound to.
    public let port: UInt16

    /// Binds to 127.0.0.1:`port`; 0 (the default) picks a free port.
    ///
    /// - Throws: ``TestSupportError`` if the socket cannot be made or bound.
    public init(port: UInt16 = 0) throws {
        let fd = try Loopback.socket(SOCK_DGRAM)
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        guard Loopback.bind(fd, port: port) else {
            let error = errno
            close(fd)
            throw TestSupportError("bind(127.0.0.1:\(port)) failed: errno \(error)")
        }
        self.fd = fd
        self.port = Loopback.localPort(fd)
    }

    deinit { close(fd) }

    /// The bound address, 127.0.0.1:``port``.
    public var address: TransportAddress { TransportAddress(.loopbackV4, port) }

    /// Sends one datagram to 127.0.0.1:`port`.
    ///
    /// - Throws: ``TestSupportError`` if `sendto` does not send it whole.
    public func send(_ bytes: [UInt8], to port: UInt16) throws {
        let n = Loopback.withAddress(port: port) { sa, len in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, len) }
        }
        guard n == bytes.count else { throw TestSupportError("sendto(127.0.0.1:\(port)) failed: errno \(errno)") }
    }

    /// One datagram, if one arrives within `timeoutMilliseconds`.
    public func receive(timeoutMilliseconds: Int32) -> [UInt8]? {
        receiveFrom(timeoutMilliseconds: timeoutMilliseconds)?.bytes
    }

    /// One datagram and the port of its sender (always on 127.0.0.1), if one arrives within `timeoutMilliseconds`.
    public func receiveFrom(timeoutMilliseconds: Int32) -> (bytes: [UInt8], port: UInt16)? {
        guard Loopback.waitReadable(fd, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var len = Loopback.addressSize
        let n = buffer.withUnsafeMutableBytes { b in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, &len)
                }
            }
        }
        guard n > 0 else { return nil }
        return (Array(buffer.prefix(n)), UInt16(bigEndian: from.sin_port))
    }

    /// A port above 1024 that was free on 127.0.0.1 a moment ago (the probing sockets are closed before this
    /// returns, so another process may take it: use it at once). With `alsoForTCP`, a TCP socket could be bound
    /// to it too (for a server that listens on both, like a TURN server).
    ///
    /// - Throws: ``TestSupportError`` if 50 tries find none.
    public static func freePort(alsoForTCP: Bool = false) throws -> UInt16 {
        for _ in 0..<50 {
            let port = try LoopbackUDPSocket().port
            guard port > 1024 else { continue }
            if !alsoForTCP { return port }
            let tcp = try Loopback.socket(SOCK_STREAM)
            defer { close(tcp) }
            if Loopback.bind(tcp, port: port) { return port }
        }
        throw TestSupportError("no free port on 127.0.0.1")
    }

    /// An even port P above 1024 with P and P + 1 both free on 127.0.0.1 a moment ago (for an RTP receiver that
    /// also binds RTCP on P + 1).
    ///
    /// - Throws: ``TestSupportError`` if 50 tries find none.
    public static func freeEvenPortPair() throws -> UInt16 {
        for _ in 0..<50 {
            let p = try LoopbackUDPSocket().port & ~1
            guard p > 1024, let a = try? LoopbackUDPSocket(port: p), let b = try? LoopbackUDPSocket(port: p + 1) else {
                continue
            }
            _ = (a, b)
            return p
        }
        throw TestSupportError("no free even UDP port pair on 127.0.0.1")
    }

    /// Whether some socket on this host, of any process, is bound to UDP `port` (IPv4 or IPv6, read from Linux's
    /// `/proc/net/udp` and `/proc/net/udp6`): how a test sees that a peer it started is listening.
    public static func isBound(port: UInt16) -> Bool {
        let hex = String(format: ":%04X", port)
        let tables = ["/proc/net/udp", "/proc/net/udp6"].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        return tables.contains { table in
            table.split(separator: "\n").dropFirst().contains { line in
                line.split(separator: " ").dropFirst().first?.hasSuffix(hex) ?? false
            }
        }
    }
}
