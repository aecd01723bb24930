import NIOConcurrencyHelpers

/// Plays the sample clip and tone in real time through the caller's send functions — the "camera and
/// microphone" of the simulated device and the demo: video at the clip's rate, 20 ms audio frames, PTS in ms on
/// one clock from 0, the clip in a loop, and the next IDR after a keyframe request.
///
/// Thread-safe; sending happens on a task of its own between ``start(sendVideo:sendAudio:)`` and ``stop()``.
public final class SamplePlayer: Sendable {
    /// What the send functions say about one frame.
    public enum SendResult: Sendable {
        /// Sent.
        case sent
        /// Refused: the player goes on with the next frame.
        case refused
    }

    /// Counters.
    public struct Counters: Sendable, Hashable {
        public var videoSent = 0
        public var audioSent = 0
        public var refused = 0
    }

    private struct State {
        var task: Task<Void, Never>?
        var clipIndex = 0
        var counters = Counters()
        var jumpToKeyframe = false
    }

    /// The clip played.
    public let clip: SampleClip
    private let state = NIOLockedValueBox(State())

    /// A player of `clip` and a tone.
    public init(clip: SampleClip) {
        self.clip = clip
    }

    /// Starts playing (a running player is restarted from PTS 0 with an IDR): the tone in `audio` (nil: no
    /// audio), the clip when `video`.
    public func start(audio: SampleAudio? = .muLaw, video: Bool = true,
                      sendVideo: @escaping @Sendable (_ frame: [UInt8], _ pts: Int64, _ isKeyframe: Bool) -> SendResult,
                      sendAudio: @escaping @Sendable (_ frame: [UInt8], _ pts: Int64) -> SendResult) {
        stop()
        let clip = self.clip
        let state = self.state
        let task = Task.detached {
            let clock = ContinuousClock()
            let start = clock.now
            var schedule = MediaSchedule(startNanoseconds: 0, framesPerSecond: clip.framesPerSecond)
            state.withLockedValue {
                $0.clipIndex = 0
                $0.jumpToKeyframe = false
            }
            while !Task.isCancelled {
                let elapsed = start.duration(to: clock.now)
                let now = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                while let due = schedule.take(now: now) {
                    if due.video {
                        guard video else { continue }
                        let index = state.withLockedValue { s -> Int in
                            if s.jumpToKeyframe {
                                s.jumpToKeyframe = false
                                s.clipIndex = clip.nextKeyframe(from: s.clipIndex)
                            }
                            defer { s.clipIndex += 1 }
                            return s.clipIndex
                        }
                        let frame = clip.frame(at: index)
                        let result = sendVideo(frame.bytes, due.ptsMilliseconds, frame.isKeyframe)
                        state.withLockedValue { if case .sent = result { $0.counters.videoSent += 1 } else { $0.counters.refused += 1 } }
                    } else {
                        guard let audio else { continue }
                        let frame = audio.frame(due.index)
                        let result = sendAudio(frame, due.ptsMilliseconds)
                        state.withLockedValue { if case .sent = result { $0.counters.audioSent += 1 } else { $0.counters.refused += 1 } }
                    }
                }
                let wait = schedule.nextDue - now
                try? await Task.sleep(for: .nanoseconds(max(1_000_000, wait)))
            }
        }
        state.withLockedValue { $0.task = task }
    }

    /// Sends the clip's next IDR next (the peer asked for a keyframe).
    public func requestKeyframe() {
        state.withLockedValue { $0.jumpToKeyframe = true }
    }

    /// Stops playing.
    public func stop() {
        let task = state.withLockedValue { s -> Task<Void, Never>? in
            defer { s.task = nil }
            return s.task
        }
        task?.cancel()
    }

    /// The counters since the player was made.
    public var counters: Counters { state.withLockedValue { $0.counters } }
}

/// Which tone the sample media sends: G.711 µ-law or A-law (generated, 440 Hz), or the bundled Opus tone.
public enum SampleAudio: String, Sendable, Hashable, CaseIterable {
    case muLaw, aLaw, opus

    /// Frame `index` (20 ms) of the endless tone in this encoding.
    public func frame(_ index: Int, hertz: Double = 440) -> [UInt8] {
        switch self {
        case .muLaw: SampleTone.muLaw(frame: index, hertz: hertz)
        case .aLaw: SampleTone.aLaw(frame: index, hertz: hertz)
        case .opus: SampleTone.opus(frame: index)
        }
    }
}
