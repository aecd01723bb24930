#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOConcurrencyHelpers
import RingletMediaStreams
import RingletSampleMedia

/// A file, a FIFO or standard input that `ringlet device` sends as its camera or microphone (`--video`,
/// `--audio`): encoded frames read with a dispatch read source (no thread blocks on `read`), split by the
/// sans-IO readers of RingletMediaStreams, and handed to the ``MediaPump`` as a ``PacedSource``.
///
/// - **Pacing** is the stream's own timing: Annex B video at `--fps` (else the SPS's VUI timing, else 15 fps),
///   Opus by its packets' durations, G.711 by 20 ms frames. The pump sends each frame at its time.
/// - **Backpressure**: at most ``maximumQueued`` frames wait for the pump; beyond, reading pauses (a pipe then
///   fills and its writer waits).
/// - **IDR first**: video is handed out from a keyframe on.
/// - **A live input** (a FIFO, a pipe) is read all the time: between streams only the newest group of pictures
///   is kept (from its IDR), so a call starts with the current picture — that group is sent at once, and the
///   frames after it at their pace. **A file** is read from its start for each stream, in a loop.
final class LiveInput: @unchecked Sendable {
    // @unchecked Sendable: every `var` is in `state`, under its lock; the dispatch read source it holds is a GCD
    // object (thread-safe), resumed and suspended only by the code that flips `suspended` under the lock.
    /// What the input holds.
    enum Format: Sendable, Hashable {
        case annexB(AnnexBCodec, fps: Double?)
        case g711
        case opus
    }

    /// Why reading stopped or what the input says; each is reported once.
    enum Note: Sendable {
        case started(live: Bool)
        case frameRate(Double, from: String)
        case profile(H264SequenceParameterSet)
        case streamError(MediaStreamError)
        case ended
        case readFailed(String)
    }

    private struct State {
        var fd: Int32 = -1
        var source: (any DispatchSourceRead)?
        var suspended = true
        var annexB: AnnexBStreamReader?
        var ogg: OggOpusReader?
        var g711: G711Framer?
        var frames: [PacedFrame] = []
        var streaming = false
        var waiting = false
        var ended = false
        var started = false
        var sent = 0
        /// Audio sent in the stream, in 48 kHz samples (G.711's 20 ms = 960).
        var audioSamples: Int64 = 0
        var fps: Double?
        var reportedProfile = false
        var pump: MediaPump?
    }

    /// At most this many frames wait for the pump (about 3 s of 30 fps video, 1.6 s of 20 ms audio).
    static let maximumQueued = 80

    let path: String
    let format: Format
    let isLive: Bool
    private let notes: @Sendable (Note) -> Void
    private let state = NIOLockedValueBox(State())
    private let queue = DispatchQueue(label: "ringlet.input")

    var kind: PacedFrame.Kind {
        if case .annexB = format { return .video }
        return .audio
    }

    /// Opens `path` (`-`: standard input). A live input starts reading now.
    /// - Throws: `InputError` when it cannot be opened.
    init(path: String, format: Format, notes: @escaping @Sendable (Note) -> Void) throws {
        self.path = path
        self.format = format
        self.notes = notes
        var st = stat()
        if path == "-" {
            isLive = fstat(0, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG
        } else {
            guard stat(path, &st) == 0 else { throw InputError("\(path): no such file or FIFO") }
            isLive = (st.st_mode & S_IFMT) != S_IFREG
        }
        if case .annexB(_, let fps?) = format { state.withLockedValue { $0.fps = fps } }
        if isLive {
            try open()
            resumeReading()
        }
        notes(.started(live: isLive))
    }

    /// A stream starts: frames are handed to `pump` from now on (a file is read again from its start).
    func startStream(pump: MediaPump) {
        queue.async { [self] in
            let reopen = !isLive
            state.withLockedValue { s in
                s.pump = pump
                s.streaming = true
                s.sent = 0
                s.audioSamples = 0
                s.started = false
                if kind == .audio || reopen { s.frames = [] }
                s.ended = false
            }
            if reopen {
                closeInput()
                try? open()
            }
            // The kept group of pictures is sent at once (PTS 0), what comes after at its pace.
            state.withLockedValue { s in
                s.frames = s.frames.map { PacedFrame(kind: $0.kind, bytes: $0.bytes, ptsMilliseconds: 0, isKeyframe: $0.isKeyframe) }
                s.sent = s.frames.isEmpty ? 0 : 1
                s.started = !s.frames.isEmpty
            }
            resumeReading()
            // The pump may have looked before this block ran (it starts on its own loop): tell it to look again.
            wakePump()
        }
    }

    /// The stream ended: a live input goes on being read (keeping only the newest group of pictures); a file
    /// stops.
    func stopStream() {
        queue.async { [self] in
            state.withLockedValue { s in
                s.streaming = false
                s.pump = nil
                s.frames = []
            }
            if !isLive { closeInput() }
        }
    }

    /// The pump's source for the current stream.
    func source() -> LiveSource { LiveSource(input: self) }

    /// The next frame for the pump (on the pump's loop).
    fileprivate func take() -> PacedSourceStep {
        let (step, resume): (PacedSourceStep, Bool) = state.withLockedValue { s in
            // Not streaming yet (``startStream(pump:)`` runs on the input's queue, the pump on its loop: either may
            // come first) or any more (the pump is stopped with the stream): nothing to send, nothing ended.
            guard s.streaming else {
                s.waiting = true
                return (.wait, false)
            }
            if s.frames.isEmpty {
                s.waiting = true
                return (s.ended ? .end : .wait, false)
            }
            let f = s.frames.removeFirst()
            return (.frame(f), s.suspended && s.fd >= 0 && s.frames.count < Self.maximumQueued / 2)
        }
        if resume { queue.async { [self] in resumeReading() } }
        return step
    }

    // MARK: Reading (on `queue`)

    private func open() throws {
        let fd: Int32
        if path == "-" {
            fd = dup(0)
        } else {
            fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        }
        guard fd >= 0 else { throw InputError("\(path): cannot open (errno \(errno))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.readAvailable() }
        state.withLockedValue { s in
            s.fd = fd
            s.source = source
            s.suspended = true
            switch format {
            case .annexB(let codec, _): s.annexB = AnnexBStreamReader(codec: codec)
            case .opus: s.ogg = OggOpusReader()
            case .g711: s.g711 = G711Framer()
            }
        }
    }

    private func closeInput() {
        let (fd, source, suspended) = state.withLockedValue { s -> (Int32, (any DispatchSourceRead)?, Bool) in
            defer {
                s.fd = -1
                s.source = nil
                s.suspended = true
            }
            return (s.fd, s.source, s.suspended)
        }
        guard let source else { return }
        source.setCancelHandler { _ = Glibc.close(fd) }
        source.cancel()
        if suspended { source.resume() }  // a suspended source must be resumed to run its cancel handler
    }

    private func resumeReading() {
        let source: (any DispatchSourceRead)? = state.withLockedValue { s in
            guard s.suspended, let source = s.source, s.streaming || isLive,
                  s.frames.count < Self.maximumQueued else { return nil }
            s.suspended = false
            return source
        }
        source?.resume()
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        for _ in 0..<16 {
            let fd = state.withLockedValue { $0.fd }
            guard fd >= 0 else { return }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                feed(chunk[..<n], end: false)
            } else if n == 0 {
                endOfInput()
                return
            } else {
                if errno == EAGAIN || errno == EINTR { return }
                notes(.readFailed("\(path): read failed (errno \(errno))"))
                endOfInput()
                return
            }
            let full: (any DispatchSourceRead)? = state.withLockedValue { s in
                guard !s.suspended, s.frames.count >= Self.maximumQueued else { return nil }
                s.suspended = true
                return s.source
            }
            if let full {
                full.suspend()
                return
            }
        }
    }

    private func endOfInput() {
        feed([][...], end: true)
        if isLive {
            state.withLockedValue { $0.ended = true }
            notes(.ended)
            closeInput()
            wakePump()
        } else {
            // A file plays in a loop: read it again from the start (PTS go on).
            let fd = state.withLockedValue { s -> Int32 in
                switch format {
                case .annexB(let codec, _): s.annexB = AnnexBStreamReader(codec: codec)
                case .opus: s.ogg = OggOpusReader()
                case .g711: s.g711 = G711Framer()
                }
                return s.fd
            }
            _ = lseek(fd, 0, SEEK_SET)
        }
    }

    /// Parses what was read into frames and queues them.
    private func feed(_ bytes: ArraySlice<UInt8>, end: Bool) {
        var out: [(bytes: [UInt8], isKeyframe: Bool, sps: [UInt8]?, samples: Int64)] = []
        var errors: [MediaStreamError] = []
        state.withLockedValue { s in
            if s.annexB != nil {
                s.annexB?.push(bytes)
                if end { s.annexB?.finish() }
                while true {
                    do throws(MediaStreamError) {
                        guard let unit = try s.annexB?.nextAccessUnit() else { break }
                        out.append((unit.bytes, unit.isKeyframe, unit.sequenceParameterSet, 0))
                    } catch {
                        errors.append(error)
                    }
                }
            } else if s.ogg != nil {
                s.ogg?.push(bytes)
                while true {
                    do throws(MediaStreamError) {
                        guard let p = try s.ogg?.nextPacket() else { break }
                        out.append((p.bytes, false, nil, Int64(p.samples)))
                    } catch {
                        errors.append(error)
                        if error.code == .unsupportedStream { break }
                    }
                }
            } else {
                s.g711?.push(bytes)
                while let f = s.g711?.nextFrame() { out.append((f.bytes, false, nil, 960)) }
            }
        }
        for e in errors.prefix(3) { notes(.streamError(e)) }
        for f in out { queueFrame(f.bytes, isKeyframe: f.isKeyframe, sps: f.sps, samples: f.samples) }
    }

    private func queueFrame(_ bytes: [UInt8], isKeyframe: Bool, sps: [UInt8]?, samples: Int64) {
        var report: [Note] = []
        let wake: Bool = state.withLockedValue { s in
            if let sps, let parsed = try? H264SequenceParameterSet(nal: sps) {
                if !s.reportedProfile {
                    s.reportedProfile = true
                    report.append(.profile(parsed))
                    if s.fps == nil, let fps = parsed.framesPerSecond, fps > 0, fps <= 120 {
                        s.fps = fps
                        report.append(.frameRate(fps, from: "the SPS's VUI timing"))
                    }
                }
            }
            let frame: PacedFrame
            switch kind {
            case .video:
                if s.fps == nil {
                    s.fps = 15
                    report.append(.frameRate(15, from: "the default (give --fps)"))
                }
                if !s.streaming {
                    // Between streams a live input keeps only the newest group of pictures.
                    if isKeyframe {
                        s.frames = []
                    } else if s.frames.isEmpty || s.frames.count >= Self.maximumQueued {
                        s.frames = []
                        return false
                    }
                    s.frames.append(PacedFrame(kind: .video, bytes: bytes, ptsMilliseconds: 0, isKeyframe: isKeyframe))
                    return false
                }
                if !s.started {
                    guard isKeyframe else { return false }  // IDR first
                    s.started = true
                    s.sent = 0
                }
                let fps = s.fps ?? 15
                frame = PacedFrame(kind: .video, bytes: bytes, ptsMilliseconds: Int64((Double(s.sent) * 1000 / fps).rounded()),
                                   isKeyframe: isKeyframe)
                s.sent += 1
            case .audio:
                guard s.streaming else { return false }
                frame = PacedFrame(kind: .audio, bytes: bytes, ptsMilliseconds: s.audioSamples / 48)
                s.audioSamples += samples
            }
            s.frames.append(frame)
            defer { s.waiting = false }
            return s.waiting
        }
        for note in report { notes(note) }
        if wake { wakePump() }
    }

    private func wakePump() {
        state.withLockedValue { $0.pump }?.wake()
    }
}

/// A ``LiveInput`` as the pump's source.
struct LiveSource: PacedSource {
    let input: LiveInput
    var kind: PacedFrame.Kind { input.kind }
    mutating func next() -> PacedSourceStep { input.take() }
    mutating func requestKeyframe() {}  // a live encoder's keyframes come when they come
}

/// An input that cannot be used.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
