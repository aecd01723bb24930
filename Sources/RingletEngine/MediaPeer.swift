import RingletCore

/// A ``PeerConnection`` as a ``DatagramDriven`` machine for an application: every input is forwarded to the
/// connection; after every input (and before every `pollTransmit`) the connection's events are drained to
/// ``onEvent``, and the application's media pacing runs (``nextMediaTime`` / ``sendDueMedia``).
///
/// This is the adapter a shell (RingletNIO's `DatagramDriver`, the simulation) drives for a call: the device
/// SDK, `ringlet phone` and the test peers all build on it.
///
/// Hooks that capture their owner must capture it `unowned` or `weak` (the peer holds the hooks). Not
/// `Sendable`: it lives where its connection lives (one event loop).
public final class MediaPeer: DatagramDriven {
    /// The connection.
    public let pc: PeerConnection
    /// The instant of the latest input (datagram, timeout or signaling call).
    public private(set) var now: Instant = .zero

    /// Sees every drained event, in order.
    public var onEvent: (PeerConnectionEvent) -> Void = { _ in }
    /// When media is next due, or nil for none.
    public var nextMediaTime: () -> Instant? = { nil }
    /// Sends the media due at ``now``.
    public var sendDueMedia: () -> Void = {}

    /// Wraps `pc`.
    public init(pc: PeerConnection) {
        self.pc = pc
    }

    // MARK: DatagramDriven

    /// Forwards the datagram, drains, and sends due media.
    public func handle(_ datagram: Datagram, now: Instant) {
        self.now = now
        pc.handle(datagram, now: now)
        drainEvents()
        runMedia()
    }

    /// Drains events, then returns the connection's next datagram.
    public func pollTransmit() -> Datagram? {
        drainEvents()
        return pc.pollTransmit()
    }

    /// The earlier of the connection's deadline and the next media time.
    public func nextDeadline() -> Instant? {
        switch (pc.nextDeadline(), nextMediaTime()) {
        case let (x?, y?): return min(x, y)
        case let (x, nil): return x
        case let (nil, y): return y
        }
    }

    /// Fires the connection's timer if it is due, drains, and sends due media.
    public func handleTimeout(now: Instant) {
        self.now = now
        if let d = pc.nextDeadline(), d <= now { pc.handleTimeout(now: now) }
        drainEvents()
        runMedia()
    }

    // MARK: Application calls

    /// Runs a call on the connection (signaling, media) at `now` and drains afterwards.
    public func signal<R>(_ now: Instant, _ body: (PeerConnection) throws -> R) rethrows -> R {
        self.now = now
        let r = try body(pc)
        drainEvents()
        return r
    }

    /// Drains the connection's events to ``onEvent``.
    public func drainEvents() {
        while let e = pc.pollEvent() { onEvent(e) }
    }

    private func runMedia() {
        sendDueMedia()
        drainEvents()
    }
}
