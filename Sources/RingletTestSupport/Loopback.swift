import Glibc

/// Plain Glibc plumbing shared by the loopback sockets: IPv4 127.0.0.1 addresses and bounded waits.
enum Loopback {
    static let addressSize = socklen_t(MemoryLayout<sockaddr_in>.size)

    /// 127.0.0.1:`port` as a `sockaddr_in`.
    static func address(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    /// A new close-on-exec IPv4 socket of `type` (so child processes never inherit it).
    static func socket(_ type: __socket_type) throws -> Int32 {
        let fd = Glibc.socket(AF_INET, Int32(type.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        return fd
    }

    /// Calls `body` with 127.0.0.1:`port` as a `sockaddr` pointer and its length.
    static func withAddress<R>(port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = address(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, addressSize) }
        }
    }

    /// Binds `fd` to 127.0.0.1:`port`; returns whether it worked.
    static func bind(_ fd: Int32, port: UInt16) -> Bool {
        withAddress(port: port) { Glibc.bind(fd, $0, $1) } == 0
    }

    /// The local port of `fd` (getsockname).
    static func localPort(_ fd: Int32) -> UInt16 {
        var local = sockaddr_in()
        var len = addressSize
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: local.sin_port)
    }

    /// Whether `fd` becomes readable within `timeoutMilliseconds` (negative counts as 0: every wait is bounded).
    static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, max(0, timeoutMilliseconds)) > 0
    }
}
