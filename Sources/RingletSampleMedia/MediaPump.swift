import NIOConcurrencyHelpers
import NIOCore

/// One encoded frame of a paced source.
public struct PacedFrame: Sendable, Hashable {
    /// Audio or video.
    public enum Kind: Sendable, Hashable { case audio, video }

    /// Audio or video.
    public let kind: Kind
    /// The encoded bytes (an Annex B access unit, an Opus packet, G.711 samples).
    public let bytes: [UInt8]
    /// Presentation time in milliseconds from the source's first frame.
    public let ptsMilliseconds: Int64
    /// Whether it is a video keyframe (an IDR).
    public let isKeyframe: Bool

    /// Makes a frame.
    public init(kind: Kind, bytes: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool = false) {
        self.kind = kind
        self.bytes = bytes
        self.ptsMilliseconds = ptsMilliseconds
        self.isKeyframe = isKeyframe
    }
}

/// What a source says when asked for its next frame.
public enum PacedSourceStep: Sendable {
    /// The next frame.
    case frame(PacedFrame)
    /// None yet: more input is coming (the source asks its pump to look again, ``MediaPump/wake()``).
    case wait
    /// The source ended.
    case end
}

/// Where a ``MediaPump``'s frames come from: frames in presentation order with their PTS. Used only on the pump's
/// event loop.
public protocol PacedSource {
    /// Audio or video.
    var kind: PacedFrame.Kind { get }
    /// The next frame, ``PacedSourceStep/wait`` or ``PacedSourceStep/end``.
    mutating func next() -> PacedSourceStep
    /// The peer asked for a keyframe: a source that can, gives one next.
    mutating func requestKeyframe()
}

/// Sends media at its presentation times through a send function — real time, every source on one clock (the
/// start of the pump is each source's PTS 0) — on one NIO event loop, with scheduled tasks: no thread of its own,
/// no sleeps, no waiting. It is the one way media is paced in Ringlet's own programs: the simulated device's
/// camera and microphone (``SampleClipSource``, ``SampleToneSource``), the headless phone's, the demo's, and the
/// live input of `ringlet device` (files, FIFOs, pipes).
///
/// A frame more than ``maximumLateness`` late (a live source that stalled) moves its source's clock, so that what
/// follows is paced again rather than sent in a burst. Thread-safe: its state lives on its loop; the methods hop.
public final class MediaPump: Sendable {
    /// What the send function says about a frame.
    public enum SendResult: Sendable {
        /// Sent.
        case sent
        /// Refused: the pump goes on with the next frame.
        case refused
    }

    /// What was sent since the pump was made.
    public struct Counters: Sendable, Hashable {
        public var videoSent = 0
        public var audioSent = 0
        public var refused = 0
        /// Times a source's clock moved because a frame came too late.
        public var resynchronized = 0
    }

    private final class Run {
        var sources: [any PacedSource]
        var pending: [PacedFrame?]
        var ended: [Bool]
        /// Where each source's PTS 0 is on the loop's clock.
        var origin: [NIODeadline]
        let send: @Sendable (PacedFrame) -> SendResult
        var timer: Scheduled<Void>?

        init(sources: [any PacedSource], start: NIODeadline, send: @escaping @Sendable (PacedFrame) -> SendResult) {
            self.sources = sources
            pending = Array(repeating: nil, count: sources.count)
            ended = Array(repeating: false, count: sources.count)
            origin = Array(repeating: start, count: sources.count)
            self.send = send
        }
    }

    /// The loop the pump runs on.
    public let eventLoop: any EventLoop
    /// How late a frame may be before its source's clock moves. Default 300 ms.
    public let maximumLateness: TimeAmount
    private let run: NIOLoopBoundBox<Run?>
    private let tally = NIOLockedValueBox(Counters())

    /// A pump on `eventLoop`.
    public init(eventLoop: any EventLoop, maximumLateness: TimeAmount = .milliseconds(300)) {
        self.eventLoop = eventLoop
        self.maximumLateness = maximumLateness
        run = NIOLoopBoundBox.makeEmptyBox(valueType: Run.self, eventLoop: eventLoop)
    }

    /// What was sent so far.
    public var counters: Counters { tally.withLockedValue { $0 } }

    /// Starts pumping the sources `makeSources` makes (on the loop) through `send` (called on the loop); a
    /// running pump is stopped first.
    public func start(sources makeSources: @escaping @Sendable () -> [any PacedSource],
                      send: @escaping @Sendable (PacedFrame) -> SendResult) {
        eventLoop.execute { [self] in
            run.value?.timer?.cancel()
            run.value = Run(sources: makeSources(), start: .now(), send: send)
            tick()
        }
    }

    /// Stops pumping.
    public func stop() {
        eventLoop.execute { [self] in
            run.value?.timer?.cancel()
            run.value = nil
        }
    }

    /// Asks the video sources for a keyframe (what was already taken from them and not sent is dropped).
    public func requestKeyframe() {
        eventLoop.execute { [self] in
            guard let r = run.value else { return }
            for i in r.sources.indices where r.sources[i].kind == .video {
                r.sources[i].requestKeyframe()
                r.pending[i] = nil
            }
            tick()
        }
    }

    /// A source that said ``PacedSourceStep/wait`` has frames now.
    public func wake() {
        eventLoop.execute { [self] in tick() }
    }

    /// Sends what is due, then schedules itself for the next due frame. On the loop.
    private func tick() {
        guard let r = run.value else { return }
        r.timer?.cancel()
        r.timer = nil
        let now = NIODeadline.now()
        var next: NIODeadline?
        var counts = Counters()
        for i in r.sources.indices where !r.ended[i] {
            var rounds = 0
            while rounds < 1000 {
                rounds += 1
                if r.pending[i] == nil {
                    switch r.sources[i].next() {
                    case .frame(let f): r.pending[i] = f
                    case .wait: break
                    case .end: r.ended[i] = true
                    }
                }
                guard let f = r.pending[i] else { break }
                var due = r.origin[i] + .milliseconds(f.ptsMilliseconds)
                if now - due > maximumLateness {
                    r.origin[i] = now - .milliseconds(f.ptsMilliseconds)
                    due = now
                    counts.resynchronized += 1
                }
                guard due <= now else {
                    next = min(next ?? due, due)
                    break
                }
                r.pending[i] = nil
                switch r.send(f) {
                case .sent: if f.kind == .video { counts.videoSent += 1 } else { counts.audioSent += 1 }
                case .refused: counts.refused += 1
                }
            }
            if rounds >= 1000 { next = now }  // a flood: give the loop back, go on at once
        }
        tally.withLockedValue {
            $0.videoSent += counts.videoSent
            $0.audioSent += counts.audioSent
            $0.refused += counts.refused
            $0.resynchronized += counts.resynchronized
        }
        guard let next else { return }
        r.timer = eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in tick() }
    }
}

/// The bundled clip as a video source: its frames in a loop at its frame rate, PTS on one clock with no drift
/// (15 fps: 0, 66, 133, 200 …); a keyframe request jumps to the clip's next IDR.
public struct SampleClipSource: PacedSource {
    public let clip: SampleClip
    private var taken = 0
    private var clipIndex = 0
    private var jump = false

    /// A source of `clip`.
    public init(clip: SampleClip) { self.clip = clip }

    public var kind: PacedFrame.Kind { .video }

    public mutating func next() -> PacedSourceStep {
        if jump {
            jump = false
            clipIndex = clip.nextKeyframe(from: clipIndex)
        }
        let frame = clip.frame(at: clipIndex)
        defer {
            clipIndex += 1
            taken += 1
        }
        return .frame(PacedFrame(kind: .video, bytes: frame.bytes,
                                 ptsMilliseconds: Int64(taken) * 1000 / Int64(max(1, clip.framesPerSecond)),
                                 isKeyframe: frame.isKeyframe))
    }

    public mutating func requestKeyframe() { jump = true }
}

/// A tone as an audio source: 20 ms frames in `audio`'s encoding, PTS 0, 20, 40 … ms.
public struct SampleToneSource: PacedSource {
    public let audio: SampleAudio
    public let hertz: Double
    private var taken = 0

    /// A source of the tone at `hertz` (G.711; the Opus tone is the bundled 440 Hz one) in `audio`.
    public init(audio: SampleAudio, hertz: Double = 440) {
        self.audio = audio
        self.hertz = hertz
    }

    public var kind: PacedFrame.Kind { .audio }

    public mutating func next() -> PacedSourceStep {
        defer { taken += 1 }
        return .frame(PacedFrame(kind: .audio, bytes: audio.frame(taken, hertz: hertz), ptsMilliseconds: Int64(taken) * 20))
    }

    public mutating func requestKeyframe() {}
}

extension SampleClipSource {
    /// The sample media of a stream: the clip when `video`, the tone in `audio` (nil: none).
    public static func sampleSources(clip: SampleClip, audio: SampleAudio?, video: Bool, hertz: Double = 440)
        -> [any PacedSource]
    {
        var sources: [any PacedSource] = []
        if video { sources.append(SampleClipSource(clip: clip)) }
        if let audio { sources.append(SampleToneSource(audio: audio, hertz: hertz)) }
        return sources
    }
}
