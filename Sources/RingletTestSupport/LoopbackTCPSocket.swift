import Glibc

/// A TCP connection to a server on 127.0.0.1, with receives that wait at most a given time (plain Glibc,
/// blocking calls, no threads). Closed when released.
public final class LoopbackTCPSocket {
    /// The file descriptor (close-on-exec).
    public let fd: Int32
    /// The local port of this end of the connection.
    public let localPort: UInt16

    /// Connects to 127.0.0.1:`port`.
    ///
    /// - Throws: ``TestSupportError`` if the socket cannot be made or the connection is refused.
    public init(connectingTo port: UInt16) throws {
        let fd = try Loopback.socket(SOCK_STREAM)
        guard Loopback.withAddress(port: port, { connect(fd, $0, $1) }) == 0 else {
            let error = errno
            close(fd)
            throw TestSupportError("connect(127.0.0.1:\(port)) failed: errno \(error)")
        }
        self.fd = fd
        localPort = Loopback.localPort(fd)
    }

    deinit { close(fd) }

    /// Sends all of `bytes` (no SIGPIPE if the peer has gone).
    ///
    /// - Throws: ``TestSupportError`` if a `send` sends nothing.
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        // Bounded: each pass sends at least one byte or throws.
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestSupportError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// The bytes available (up to 64 KiB, not framed) if some arrive within `timeoutMilliseconds`; nil on
    /// timeout or when the peer has closed.
    public func receive(timeoutMilliseconds: Int32) -> [UInt8]? {
        guard Loopback.waitReadable(fd, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n > 0 else { return nil }
        return Array(buffer.prefix(n))
    }

    /// Waits until the peer closes the connection (reading and dropping whatever arrives), at most `timeout`
    /// seconds, without blocking a thread for long; true when it closed.
    public func waitForClose(timeout: Double) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < end {
            if Loopback.waitReadable(fd, timeoutMilliseconds: 0) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { return true }
                continue
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
