import NIOCore
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif
import RingletCore

/// Identifies a machine registered with a `DatagramDriver`.
public struct MachineID: Hashable, Sendable, CustomStringConvertible {
    /// The driver-assigned number.
    public let rawValue: Int
    /// "machine#N".
    public var description: String { "machine#\(rawValue)" }
}

/// Drives any number of sans-IO `DatagramDriven` machines on ONE SwiftNIO event loop.
///
/// The shell around the pure core (DESIGN.md, "Layout"): it owns the sockets, the clock and the timers; the
/// machines own every protocol decision.
///
/// Routing (each machine gets its own sockets):
/// - A UDP socket is bound with `bindUDP(_:)` to a specific local address. A machine declares the local
///   addresses it owns when it is added; a datagram arriving on a socket goes to the machine that owns that
///   socket's local address, as `Datagram(source: remote, destination: socket's address)`. A datagram nobody
///   owns is dropped and counted (`Statistics.unroutable`).
/// - A datagram the machine emits with transport `.udp` leaves from the UDP socket bound to its `source`.
/// - With transport `.tcp` (TURN over TCP, RFC 6062 / RFC 8656 §3.1) the driver keeps one TCP connection per
///   (source, destination) pair, opening it on demand (bound to `source` with SO_REUSEADDR) and queueing
///   payloads until it is connected. Received stream bytes are delivered, in order and unframed, as
///   `Datagram(source: destination, destination: source, transport: .tcp)`; framing (STUN / ChannelData
///   lengths) is the machine's job. A closed or failed connection is dropped silently (counted); the machine
///   finds out through its own timeouts, and its next `.tcp` datagram reopens it.
/// - A TCP flow to a remote registered with `useTLS(toward:serverName:configuration:)` runs TLS on that connection
///   (TURN over TLS, RFC 8656 §3.1, `turns:`): the machine still reads and writes plain bytes; the certificate is
///   verified against the server name (or, without one, the IP address) and the configured trust roots, and a
///   failed handshake closes the flow like a failed connect (counted, logged).
///
/// The drain contract of `DatagramDriven`: after every `handle`, `handleTimeout` or `withMachine` body, the
/// driver drains `pollTransmit()` until nil, flushes the sockets it wrote to, then reads `nextDeadline()` and
/// keeps exactly one scheduled timer per machine at that deadline.
///
/// Time: `Instant` is the nanosecond value of the monotonic clock NIO schedules with
/// (`NIODeadline.now().uptimeNanoseconds`), so deadlines convert both ways without drift; see `now()`.
///
/// Concurrency: the machines and all driver state are confined to `eventLoop` (no locks). Outside code acts on a
/// machine only through `withMachine(_:_:)`, which runs its body on the loop and returns a future. Socket errors
/// are counted and reported to the `log` sink, never fatal.
public final class DatagramDriver<Machine: DatagramDriven & SendableMetatype>: @unchecked Sendable {
    // @unchecked Sendable: every stored `var` below is read and written only on `eventLoop` — public entry points
    // hop onto the loop (`execute`/`submit`/`flatSubmit`) and internal ones `assertInEventLoop()`. The only
    // cross-thread members are `let`s of Sendable types.

    /// Tunables, with defaults that suit WebRTC media.
    public struct Configuration: Sendable {
        /// Datagrams read per `recvmmsg` call (`ChannelOptions.datagramVectorReadMessageCount`). Default 32.
        public var vectorReadMessageCount: Int = 32
        /// The largest datagram accepted; larger ones are truncated by the kernel. Default 4096.
        public var maximumDatagramSize: Int = 4096
        /// SO_RCVBUF and SO_SNDBUF in bytes (the kernel may clamp them to net.core.*mem_max). Default 4 MiB.
        public var socketBufferSize: Int = 4 << 20
        /// How long a TCP connect may take. Default 5 s.
        public var tcpConnectTimeout: TimeAmount = .seconds(5)
        /// Bytes queued on a TCP flow while it connects, beyond which payloads are dropped. Default 1 MiB.
        public var tcpQueueLimit: Int = 1 << 20
        /// Where diagnostics go (socket errors, dropped datagrams). Messages hold no peer addresses.
        public var log: (@Sendable (String) -> Void)?

        /// The defaults.
        public init() {}
    }

    /// Counters, read with `statistics()`.
    public struct Statistics: Sendable, Hashable {
        /// Datagrams (or TCP reads) handed to machines.
        public var datagramsReceived = 0
        /// Datagrams (or TCP writes) written to sockets.
        public var datagramsSent = 0
        /// Payload bytes received.
        public var bytesReceived = 0
        /// Payload bytes sent.
        public var bytesSent = 0
        /// Datagrams dropped because no machine owns the local address, or no socket is bound to a source.
        public var unroutable = 0
        /// Errors reported by sockets (reads, writes, connects).
        public var socketErrors = 0
        /// TCP connections opened.
        public var tcpConnectionsOpened = 0
        /// TCP connections closed or failed.
        public var tcpConnectionsClosed = 0
        /// Timers that fired and called `handleTimeout`.
        public var timeoutsFired = 0
        /// UDP sockets that NIO closed on an error and the driver bound again at the same address.
        public var udpRebinds = 0
        /// Timeouts after which the machine's next deadline was still due: a machine breaking the driving
        /// contract. The driver re-arms such a timer ``stalledDeadlineDelay`` later, so that the loop goes on
        /// reading sockets instead of spinning on the machine. Zero in a healthy process.
        public var stalledDeadlines = 0
    }

    /// How long after `now` the driver re-arms a machine whose deadline stayed due through `handleTimeout`.
    public static var stalledDeadlineDelay: Duration { .milliseconds(1) }

    /// The loop every machine and socket lives on.
    public let eventLoop: any EventLoop
    /// The configuration given at creation.
    public let configuration: Configuration

    final class Slot {
        var machine: Machine
        let addresses: [TransportAddress]
        var timer: Scheduled<Void>?
        var timerDeadline: Instant?
        init(machine: Machine, addresses: [TransportAddress]) {
            self.machine = machine
            self.addresses = addresses
        }
    }

    struct FlowKey: Hashable {
        let local: TransportAddress
        let remote: TransportAddress
    }

    final class TCPFlow {
        let owner: MachineID
        var channel: (any Channel)?
        var queue: [ByteBuffer] = []
        var queuedBytes = 0
        let serial: Int
        init(owner: MachineID, serial: Int) {
            self.owner = owner
            self.serial = serial
        }
    }

    var slots: [MachineID: Slot] = [:]
    var owners: [TransportAddress: MachineID] = [:]
    var udpSockets: [TransportAddress: any Channel] = [:]
    var tcpFlows: [FlowKey: TCPFlow] = [:]
    /// TLS for TCP flows toward these remotes: the context and the name to verify and send as SNI.
    var tlsRemotes: [TransportAddress: (context: NIOSSLContext, serverName: String?)] = [:]
    var pendingFlush: [ObjectIdentifier: any Channel] = [:]
    var nextID = 0
    var stats = Statistics()
    /// Route checks per destination IP (see `hasRoute(to:now:)`): routable, and when it was checked (ns).
    var routeCache: [IPAddress: (routable: Bool, checkedAt: Int64)] = [:]
    var isShutDown = false

    /// Makes a driver on `eventLoop`. Sockets are created on that loop's thread (so a loop entered into a
    /// network namespace, see `NetworkNamespace`, gives sockets in that namespace).
    public init(eventLoop: any EventLoop, configuration: Configuration = Configuration()) {
        self.eventLoop = eventLoop
        self.configuration = configuration
    }

    /// The current instant of the driver's clock: monotonic nanoseconds, the same clock as `NIODeadline`.
    public static func now() -> Instant {
        Instant(nanoseconds: Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    /// NTP time (RFC 5905: seconds since 1900) at this clock's `Instant.zero`, from the wall clock read now: the
    /// `ntpOffset` a `PeerConnection` puts in its sender reports.
    public static func ntpOffset() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let wall = Duration.seconds(Int64(ts.tv_sec) + 2_208_988_800) + .nanoseconds(Int64(ts.tv_nsec))
        return wall - .nanoseconds(now().nanoseconds)
    }

    static func deadline(_ instant: Instant) -> NIODeadline {
        .uptimeNanoseconds(UInt64(clamping: max(0, instant.nanoseconds)))
    }

    // MARK: Machines

    /// Registers a machine that owns `localAddresses`, made on the loop by `make(now)`.
    ///
    /// - Returns: the machine's identifier; fails with `.addressInUse` if another machine owns one of the addresses.
    public func addMachine(
        owning localAddresses: [TransportAddress],
        _ make: @escaping @Sendable (Instant) throws -> Machine
    ) -> EventLoopFuture<MachineID> {
        eventLoop.submit {
            let machine = try make(Self.now())
            return try self.addMachineOnLoop(machine, owning: localAddresses)
        }
    }

    /// Registers a machine from code already running on the loop (for example inside `withMachine`).
    ///
    /// - Throws: `.addressInUse` if another machine owns one of the addresses; `.shutDown` after `shutdown()`.
    public func addMachineOnLoop(_ machine: Machine, owning localAddresses: [TransportAddress]) throws(NIOShellError)
        -> MachineID
    {
        eventLoop.preconditionInEventLoop()
        guard !isShutDown else { throw NIOShellError(.shutDown, "driver is shut down") }
        for a in localAddresses where owners[a] != nil {
            throw NIOShellError(.addressInUse, "a local address is already owned by another machine")
        }
        let id = MachineID(rawValue: nextID)
        nextID += 1
        slots[id] = Slot(machine: machine, addresses: localAddresses)
        for a in localAddresses { owners[a] = id }
        service(id)
        return id
    }

    /// Runs `body` on the loop with the machine and the current instant, then drains its output and re-arms its
    /// timer. The only way for outside code to touch a machine.
    public func withMachine<Result: Sendable>(
        _ id: MachineID,
        _ body: @escaping @Sendable (inout Machine, Instant) throws -> Result
    ) -> EventLoopFuture<Result> {
        eventLoop.submit {
            guard let slot = self.slots[id] else { throw NIOShellError(.unknownMachine, "\(id) is not registered") }
            defer { self.service(id) }
            return try body(&slot.machine, Self.now())
        }
    }

    /// `withMachine` for code already on the loop: runs `body` now, then drains the machine and re-arms its timer
    /// before returning.
    /// - Throws: `.unknownMachine`, or what `body` throws.
    public func withMachineOnLoop<Result>(
        _ id: MachineID, _ body: (inout Machine, Instant) throws -> Result
    ) throws -> Result {
        eventLoop.preconditionInEventLoop()
        guard let slot = slots[id] else { throw NIOShellError(.unknownMachine, "\(id) is not registered") }
        defer { service(id) }
        return try body(&slot.machine, Self.now())
    }

    /// Unregisters a machine: cancels its timer and closes its TCP flows (its UDP sockets stay bound).
    public func removeMachine(_ id: MachineID) -> EventLoopFuture<Void> {
        eventLoop.submit {
            guard let slot = self.slots.removeValue(forKey: id) else { return }
            slot.timer?.cancel()
            for a in slot.addresses where self.owners[a] == id { self.owners[a] = nil }
            for (key, flow) in self.tcpFlows where flow.owner == id {
                self.tcpFlows[key] = nil
                flow.channel?.close(promise: nil)
            }
        }
    }

    /// A snapshot of the counters.
    public func statistics() -> EventLoopFuture<Statistics> {
        eventLoop.submit { self.stats }
    }

    // MARK: Driving

    /// Delivers a received datagram to the machine owning its destination. On the loop.
    func deliver(_ datagram: Datagram, to id: MachineID?) {
        guard let id, let slot = slots[id] else {
            stats.unroutable += 1
            return
        }
        stats.datagramsReceived += 1
        stats.bytesReceived += datagram.payload.count
        slot.machine.handle(datagram, now: Self.now())
        service(id)
    }

    /// Drains a machine's output, flushes, and re-arms its timer, not before `notBefore`. On the loop.
    func service(_ id: MachineID, notBefore: Instant? = nil) {
        guard let slot = slots[id] else { return }
        while let out = slot.machine.pollTransmit() {
            send(out, from: id)
        }
        flushPending()
        var deadline = slot.machine.nextDeadline()
        if let d = deadline, let floor = notBefore, d < floor { deadline = floor }
        guard deadline != slot.timerDeadline || (deadline != nil && slot.timer == nil) else { return }
        slot.timer?.cancel()
        slot.timer = nil
        slot.timerDeadline = deadline
        guard let deadline else { return }
        slot.timer = eventLoop.scheduleTask(deadline: Self.deadline(deadline)) { [self] in
            self.fire(id)
        }
    }

    func fire(_ id: MachineID) {
        guard let slot = slots[id] else { return }
        slot.timer = nil
        let now = Self.now()
        var notBefore: Instant?
        if let d = slot.timerDeadline, now >= d {
            slot.timerDeadline = nil
            stats.timeoutsFired += 1
            slot.machine.handleTimeout(now: now)
            if let next = slot.machine.nextDeadline(), next <= now {
                stats.stalledDeadlines += 1
                if stats.stalledDeadlines == 1 { log("a machine's deadline stayed due after its timeout; re-arming later") }
                notBefore = now + Self.stalledDeadlineDelay
            }
        }
        service(id, notBefore: notBefore)
    }

    func flushPending() {
        guard !pendingFlush.isEmpty else { return }
        for channel in pendingFlush.values { channel.flush() }
        pendingFlush.removeAll(keepingCapacity: true)
    }

    func log(_ message: @autoclosure () -> String) {
        configuration.log?(message())
    }

    func countSocketError(_ context: String, _ error: any Error) {
        stats.socketErrors += 1
        log("\(context): \(error)")
    }
}
