import NIOConcurrencyHelpers
import RingletCore
import RingletMediaStreams

/// What the device's loop has published for the threads that call the device: the state an immediate answer
/// depends on. Written only by the runtime, on its loop (``SendGate/publish(_:)``).
struct DeviceSnapshot: Sendable {
    /// The credentials, once registered.
    var credentials: DeviceCredentials?
    /// Whether the signaling session is authenticated.
    var online = false
    /// Whether a call is placing, ringing or in progress.
    var busy = false
    /// The call that is answered (for custom data), if any.
    var activeCallId: String?
    /// Whether the stream runs while the call rings (early video): audio is held back until the answer.
    var earlyStreaming = false
    /// The started stream and what it negotiated.
    var stream: StreamContext?
    var format: StreamFormat?
    /// Counts streams: frames queued for an earlier stream are dropped.
    var streamEpoch: UInt64 = 0
    /// Whether the send queue is above the high watermark (sends refused until it falls below the low one).
    var aboveHighMark = false
    /// The high watermark and the largest frame accepted, in bytes.
    var highMark: Int
    var maximumFrameSize: Int
    /// The send side of the stream, refreshed by the loop after each batch of frames and every 200 ms.
    var sendStatus: SendStatus?
}

/// The mailbox between the application's threads and the device's runtime (which owns every piece of the
/// device's state, on its event loop):
///
/// - the loop publishes a ``DeviceSnapshot`` after each change an immediate answer depends on;
/// - application threads read it — the seed's immediate codes (-303 above the high mark, -304 too large, -305 no
///   such stream, -306 first video frame not an IDR, -308 not the declared and negotiated format) come from it —
///   and hand frames into a bounded queue that the loop drains (``admit(_:data:ptsMilliseconds:isKeyframe:)``,
///   ``take()``), and declare their send format.
///
/// One lock, held for a few field reads and an append; nobody waits for the loop.
final class SendGate: Sendable {
    /// A frame handed to the loop.
    struct Queued {
        let kind: StreamKind
        let data: [UInt8]
        let ptsMilliseconds: Int64
        let isKeyframe: Bool
        let epoch: UInt64
    }

    private struct State {
        var snapshot: DeviceSnapshot
        /// What the application says it sends in the current stream (the negotiated format until it declares).
        var declared = SendFormat()
        /// Whether the stream's first video frame (which must be an IDR) was accepted.
        var videoStarted = false
        /// Whether the application finished the stream (`sendFinishStream`).
        var finished = false
        /// Whether a profile refusal was reported for this stream (it is logged once).
        var profileReported = false
        var queue: [Queued] = []
        var queuedBytes = 0
        var drainScheduled = false
    }

    /// At most this many frames wait for the loop (a bound besides the bytes).
    static let maximumQueuedFrames = 256

    private let state: NIOLockedValueBox<State>

    init(highMark: Int, maximumFrameSize: Int) {
        state = NIOLockedValueBox(State(snapshot: DeviceSnapshot(highMark: highMark, maximumFrameSize: maximumFrameSize)))
    }

    /// The latest snapshot.
    var snapshot: DeviceSnapshot { state.withLockedValue { $0.snapshot } }

    /// The current stream as the application sees it: nil once it finished the stream.
    var stream: StreamContext? { state.withLockedValue { $0.finished ? nil : $0.snapshot.stream } }

    // MARK: The loop

    /// Publishes a change (on the loop). A new stream starts with its negotiated format declared, no video
    /// sent, and what was queued for an earlier one dropped.
    func publish(_ change: (inout DeviceSnapshot) -> Void) {
        state.withLockedValue { s in
            let epoch = s.snapshot.streamEpoch
            change(&s.snapshot)
            guard s.snapshot.streamEpoch != epoch else { return }
            s.videoStarted = false
            s.finished = false
            s.profileReported = false
            if let f = s.snapshot.format {
                s.declared.audio = f.audio ?? s.declared.audio
                s.declared.video = f.video ?? s.declared.video
            }
            s.queue.removeAll()
            s.queuedBytes = 0
        }
    }

    /// The queued frames (on the loop, when it drains).
    func take() -> [Queued] {
        state.withLockedValue { s in
            defer {
                s.queue = []
                s.queuedBytes = 0
                s.drainScheduled = false
            }
            return s.queue
        }
    }

    // MARK: Application threads

    /// Checks a frame against the snapshot and queues it for the loop.
    /// - Returns: whether the caller must schedule a drain on the loop (the queue was idle).
    /// - Throws: `noStream` (-305), `invalidFrame`, `frameTooLarge` (-304), `formatMismatch` (-308),
    ///   `unsupportedProfile` (-313: an IDR whose SPS is not Constrained Baseline), `needKeyframe` (-306),
    ///   `sendBufferFull` (-303).
    func admit(_ kind: StreamKind, data: [UInt8], ptsMilliseconds: Int64, isKeyframe: Bool) throws(DeviceError) -> Bool {
        let result: Result<Bool, DeviceError> = state.withLockedValue { s in
            do throws(DeviceError) {
                try Self.check(kind, data: data, isKeyframe: isKeyframe, s)
            } catch {
                return .failure(error)
            }
            // Early video: sound waits for the answer (the person only sees who is there before answering);
            // the frame is accepted and not sent.
            if kind == .audio, s.snapshot.earlyStreaming { return .success(false) }
            if kind == .video { s.videoStarted = true }
            s.queue.append(Queued(kind: kind, data: data, ptsMilliseconds: ptsMilliseconds, isKeyframe: isKeyframe,
                                  epoch: s.snapshot.streamEpoch))
            s.queuedBytes += data.count
            defer { s.drainScheduled = true }
            return .success(!s.drainScheduled)
        }
        return try result.get()
    }

    private static func check(_ kind: StreamKind, data: [UInt8], isKeyframe: Bool, _ s: State) throws(DeviceError) {
        let snap = s.snapshot
        guard snap.stream != nil, !s.finished, let format = snap.format else {
            throw DeviceError(.noStream, "no stream is started")
        }
        guard !data.isEmpty else { throw DeviceError(.invalidFrame, "the frame is empty") }
        guard data.count <= snap.maximumFrameSize else {
            throw DeviceError(.frameTooLarge, "the frame is \(data.count) bytes, over \(snap.maximumFrameSize)")
        }
        switch kind {
        case .video:
            guard let negotiated = format.video else {
                throw DeviceError(.noStream, "the call carries no video (an audio call, or the peer declined video)")
            }
            guard s.declared.video == negotiated else {
                throw DeviceError(.formatMismatch, "the stream was declared \(s.declared.video); the call negotiated \(negotiated)")
            }
            guard negotiated == .h265 ? looksLikeH265AnnexB(data) : looksLikeH264AnnexB(data) else {
                throw DeviceError(.formatMismatch, "the frame is not an \(negotiated) Annex B access unit")
            }
            if isKeyframe, negotiated == .h264, let sps = H264SequenceParameterSet.first(inAccessUnit: data),
               !sps.isConstrainedBaselineCompatible {
                throw DeviceError(.unsupportedProfile, sps.refusal)
            }
            guard s.videoStarted || isKeyframe else {
                throw DeviceError(.needKeyframe, "the first video frame must be an IDR")
            }
        case .audio:
            guard let negotiated = format.audio else { throw DeviceError(.noStream, "the call carries no audio") }
            guard s.declared.audio == negotiated else {
                throw DeviceError(.formatMismatch, "the stream was declared \(s.declared.audio); the call negotiated \(negotiated)")
            }
        }
        guard !snap.aboveHighMark else {
            throw DeviceError(.sendBufferFull, "the send queue is above the high watermark")
        }
        let bound = max(snap.highMark, snap.maximumFrameSize)
        guard s.queue.isEmpty || (s.queuedBytes + data.count <= bound && s.queue.count < maximumQueuedFrames) else {
            throw DeviceError(.sendBufferFull, "\(s.queuedBytes) bytes wait for the device's loop")
        }
    }

    /// Whether a profile refusal is the first of the stream (then the caller logs it).
    func firstProfileRefusal() -> Bool {
        state.withLockedValue { s in
            defer { s.profileReported = true }
            return !s.profileReported
        }
    }

    /// Declares what the application sends in the current stream; returns the stream's epoch and whether it
    /// differs from the negotiated format (nil without a stream).
    func declare(_ format: SendFormat) -> (epoch: UInt64, mismatch: Bool)? {
        state.withLockedValue { s in
            s.declared = format
            guard s.snapshot.stream != nil, let negotiated = s.snapshot.format else { return nil }
            let mismatch = (negotiated.audio.map { $0 != format.audio } ?? false)
                || (negotiated.video.map { $0 != format.video } ?? false)
            return (s.snapshot.streamEpoch, mismatch)
        }
    }

    /// Ends the application's send stream (later sends are -305).
    /// - Returns: the stream's epoch.
    /// - Throws: `noStream` when none is sending.
    func finish() throws(DeviceError) -> UInt64 {
        let epoch: UInt64? = state.withLockedValue { s in
            guard s.snapshot.stream != nil, !s.finished else { return nil }
            s.finished = true
            s.queue.removeAll()
            s.queuedBytes = 0
            return s.snapshot.streamEpoch
        }
        guard let epoch else { throw DeviceError(.noStream, "no stream is sending") }
        return epoch
    }

    /// Whether `data` starts with an Annex B start code followed by an H.265 NAL unit header (forbidden bit 0,
    /// `nuh_layer_id` 0, type 0–40: slices, parameter sets, AUD, SEI).
    static func looksLikeH265AnnexB(_ data: [UInt8]) -> Bool {
        var i = 0
        while i < data.count, i < 4, data[i] == 0 { i += 1 }
        guard i >= 2, i < data.count, data[i] == 1, i + 2 < data.count else { return false }
        let type = (data[i + 1] >> 1) & 0x3F
        return data[i + 1] & 0x80 == 0 && data[i + 1] & 0x01 == 0 && data[i + 2] >> 3 == 0 && type <= 40
    }

    /// Whether `data` starts with an Annex B start code followed by an H.264 NAL unit header (types 1–23; an
    /// H.265 stream's first NAL reads as type 0 or > 23 here).
    static func looksLikeH264AnnexB(_ data: [UInt8]) -> Bool {
        var i = 0
        while i < data.count, i < 4, data[i] == 0 { i += 1 }
        guard i >= 2, i < data.count, data[i] == 1, i + 1 < data.count else { return false }
        let header = data[i + 1]
        let type = header & 0x1F
        return header & 0x80 == 0 && type >= 1 && type <= 23
    }
}
