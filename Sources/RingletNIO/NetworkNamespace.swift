#if canImport(Glibc)
import Glibc
import NIOCore
import NIOPosix

/// A private Linux network namespace (ip-netns(8)) with only `lo` up, and event loops whose threads live in it.
///
/// Headless Chromium runs inside (`ip netns exec NAME chromium …`), and the Swift side reaches it over that
/// namespace's loopback: `makeEventLoopGroup()` starts NIO loop threads and moves each into the namespace with
/// `setns(2)` before anything else runs on it. Network namespaces are per thread, and NIO creates a channel's
/// socket on the thread that calls `bind`/`connect`, so every bootstrap must be started from the loop
/// (`eventLoop.flatSubmit { bootstrap.bind(…) }`) — `DatagramDriver` always does this.
///
/// Needs root (CAP_SYS_ADMIN); creation fails with `.notRoot` otherwise. Call `delete()` when done.
public struct NetworkNamespace: Sendable {
    /// The namespace name (a file under /var/run/netns).
    public let name: String

    /// The file that pins the namespace.
    public var path: String { "/var/run/netns/\(name)" }

    /// Creates the namespace with `ip netns add NAME` and brings `lo` up (`ip -n NAME link set lo up`).
    ///
    /// - Throws: `.notRoot` without root, `.invalidName` for names other than [A-Za-z0-9_-]{1,32},
    ///   `.commandFailed` if `ip` fails (for instance because the name exists).
    public static func create(name: String) throws(NIOShellError) -> NetworkNamespace {
        guard geteuid() == 0 else {
            throw NIOShellError(.notRoot, "network namespaces need root (CAP_SYS_ADMIN); run the tests as root")
        }
        guard (1...32).contains(name.utf8.count),
              name.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0)
                  || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { throw NIOShellError(.invalidName, "namespace name must match [A-Za-z0-9_-]{1,32}") }
        let add = try ChildProcess.run(["ip", "netns", "add", name])
        guard add == 0 else { throw NIOShellError(.commandFailed, "ip netns add \(name) exited with \(add)") }
        let ns = NetworkNamespace(name: name)
        let up = try ChildProcess.run(["ip", "-n", name, "link", "set", "lo", "up"])
        guard up == 0 else {
            ns.delete()
            throw NIOShellError(.commandFailed, "ip -n \(name) link set lo up exited with \(up)")
        }
        return ns
    }

    /// Deletes the namespace (`ip netns delete NAME`); the namespace itself disappears once no process or socket
    /// holds it. Errors are ignored (best effort, for `defer`).
    public func delete() {
        _ = try? ChildProcess.run(["ip", "netns", "delete", name])
    }

    /// The argument vector that runs `command` inside the namespace: `ip netns exec NAME command…`.
    public func exec(_ command: [String]) -> [String] {
        ["ip", "netns", "exec", name] + command
    }

    /// Moves the CALLING thread into the namespace with `setns(open(path), CLONE_NEWNET)`.
    ///
    /// - Throws: `.setnsFailed` with errno text.
    public func enterOnCurrentThread() throws(NIOShellError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NIOShellError(.setnsFailed, "open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard let setns = Self.setnsFunction else {
            throw NIOShellError(.setnsFailed, "setns(2) is not available in this C library")
        }
        guard setns(fd, Self.cloneNewNet) == 0 else {
            throw NIOShellError(.setnsFailed, "setns \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// CLONE_NEWNET from <sched.h> (not imported by Glibc without _GNU_SOURCE).
    static let cloneNewNet: Int32 = 0x4000_0000

    /// `int setns(int fd, int nstype)`, looked up at run time because Glibc's module map hides it (_GNU_SOURCE).
    static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    /// An event loop group whose threads have all entered this namespace; sockets bound from its loops (inside
    /// `flatSubmit`) live in the namespace. The caller shuts the group down.
    /// Async: it waits for each thread to enter, without blocking the caller's thread.
    public func makeEventLoopGroup(numberOfThreads: Int = 1) async throws -> MultiThreadedEventLoopGroup {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, numberOfThreads))
        let ns = self
        do {
            for loop in group.makeIterator() {
                try await loop.submit { () throws -> Void in try ns.enterOnCurrentThread() }.get()
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        return group
    }
}
#endif
