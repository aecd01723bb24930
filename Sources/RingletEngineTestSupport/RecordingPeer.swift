import RingletCore
import RingletEngine

/// A `PeerConnection` driven as a `DatagramDriven` machine the way a test application drives it: every input is
/// forwarded to the connection, and after every input (and before every `pollTransmit`) the connection's events
/// are drained into a timestamped log. What differs between tests plugs in through hooks:
///
/// - `onEvent` sees every drained event (after it was logged and the common bookkeeping below was done);
/// - `nextMediaTime` says when the test's media pacing next wants to run (merged into `nextDeadline()`);
/// - `sendDueMedia` sends what is due at `now`; it runs after every `handle` and `handleTimeout`, followed by a
///   drain.
///
/// Common bookkeeping: local candidates are kept for trickling (`takeCandidates()`), the selected path is kept,
/// and the first instant of each milestone is kept in `marks` (`gatheringComplete`, `pc.<state>`,
/// `ice.<state>`, `iceConnected`, `dtlsConnected` on `readyToSend`, `firstVideoFrame`, `firstAudioFrame`).
///
/// Hooks that capture their owner must capture it `unowned` or `weak` (the peer holds the hooks).
public final class RecordingPeer: DatagramDriven {
    /// The driven connection (events, media pacing); RecordingPeer adds the log and the bookkeeping.
    public let peer: MediaPeer
    /// The connection under test.
    public var pc: PeerConnection { peer.pc }
    /// The instant of the latest input (datagram, timeout or signaling call).
    public var now: Instant { peer.now }
    /// Every drained event with the instant it was drained at (empty when `keepsLog` is off).
    public private(set) var log: [(time: Instant, event: PeerConnectionEvent)] = []
    /// Whether events are appended to `log` (off for long media runs that only need counters).
    public var keepsLog: Bool
    /// The first instant of each milestone (see the type's comment).
    public private(set) var marks: [String: Instant] = [:]
    /// Local candidates not yet taken by `takeCandidates()`.
    public private(set) var pendingCandidates: [String] = []
    /// Whether `gatheringComplete` was seen.
    public private(set) var gatheringComplete = false
    /// The latest `selectedPath` event.
    public private(set) var selectedPath: SelectedPath?

    /// Sees every drained event.
    public var onEvent: (PeerConnectionEvent) -> Void = { _ in }
    /// When media is next due, or nil for none.
    public var nextMediaTime: () -> Instant? {
        get { peer.nextMediaTime }
        set { peer.nextMediaTime = newValue }
    }
    /// Sends the media due at `now`.
    public var sendDueMedia: () -> Void {
        get { peer.sendDueMedia }
        set { peer.sendDueMedia = newValue }
    }

    /// Wraps `pc`; `keepsLog` decides whether events are kept in `log`.
    public init(pc: PeerConnection, keepsLog: Bool = true) {
        self.peer = MediaPeer(pc: pc)
        self.keepsLog = keepsLog
        peer.onEvent = { [unowned self] in record($0) }
    }

    /// Records `at` as the instant of `name` unless one is already recorded.
    public func mark(_ name: String, _ at: Instant) {
        if marks[name] == nil { marks[name] = at }
    }

    // MARK: DatagramDriven

    /// Forwards the datagram, drains, and sends due media.
    public func handle(_ datagram: Datagram, now: Instant) { peer.handle(datagram, now: now) }

    /// Drains events, then returns the connection's next datagram.
    public func pollTransmit() -> Datagram? { peer.pollTransmit() }

    /// The earlier of the connection's deadline and the next media time.
    public func nextDeadline() -> Instant? { peer.nextDeadline() }

    /// Fires the connection's timer if it is due, drains, and sends due media.
    public func handleTimeout(now: Instant) { peer.handleTimeout(now: now) }

    // MARK: Signaling and queries

    /// Runs a signaling call at `now` and drains afterwards.
    public func signal<R>(_ now: Instant, _ body: (PeerConnection) throws -> R) rethrows -> R {
        try peer.signal(now, body)
    }

    /// The local candidates gathered since the last call, and whether gathering is complete.
    public func takeCandidates() -> (lines: [String], complete: Bool) {
        defer { pendingCandidates.removeAll() }
        return (pendingCandidates, gatheringComplete)
    }

    /// The first logged instant of an event matching `match`.
    public func firstTime(where match: (PeerConnectionEvent) -> Bool) -> Instant? {
        log.first(where: { match($0.event) })?.time
    }

    /// The logged events matching `match`, in order.
    public func events(where match: (PeerConnectionEvent) -> Bool) -> [PeerConnectionEvent] {
        log.map(\.event).filter(match)
    }

    /// Drains the connection's events into the log, the bookkeeping and `onEvent`.
    public func drainEvents() { peer.drainEvents() }

    private func record(_ e: PeerConnectionEvent) {
        if keepsLog { log.append((now, e)) }
        switch e {
        case .localCandidate(let line):
            pendingCandidates.append(line)
        case .gatheringComplete:
            gatheringComplete = true
            mark("gatheringComplete", now)
        case .connectionStateChanged(let s):
            mark("pc.\(s)", now)
        case .iceConnectionStateChanged(let s):
            mark("ice.\(s)", now)
            if s == .connected || s == .completed { mark("iceConnected", now) }
        case .selectedPath(let p):
            selectedPath = p
        case .readyToSend:
            mark("dtlsConnected", now)
        case .videoFrame:
            mark("firstVideoFrame", now)
        case .audioFrame:
            mark("firstAudioFrame", now)
        case .keyframeRequested, .watermark, .framesDropped:
            break
        }
        onEvent(e)
    }
}

/// A type that owns a `RecordingPeer` and is driven through it: conforming is enough to be a `DatagramDriven`
/// machine (every input is forwarded to `recorder`).
public protocol RecordingPeerOwner: AnyObject, DatagramDriven {
    /// The peer every input goes to.
    var recorder: RecordingPeer { get }
}

extension RecordingPeerOwner {
    /// Forwards to `recorder`.
    public func handle(_ datagram: Datagram, now: Instant) { recorder.handle(datagram, now: now) }
    /// Forwards to `recorder`.
    public func pollTransmit() -> Datagram? { recorder.pollTransmit() }
    /// Forwards to `recorder`.
    public func nextDeadline() -> Instant? { recorder.nextDeadline() }
    /// Forwards to `recorder`.
    public func handleTimeout(now: Instant) { recorder.handleTimeout(now: now) }
}
