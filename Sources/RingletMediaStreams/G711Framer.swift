/// Cuts raw G.711 (µ-law or A-law bytes at 8 kHz, one byte a sample, no header) into 20 ms frames of 160 bytes
/// with their presentation times (0, 20, 40 … ms). Sans-IO and incremental; at most one frame is buffered.
public struct G711Framer: Sendable {
    /// Bytes (samples) in a 20 ms frame.
    public static let frameBytes = 160
    private var buffer: [UInt8] = []
    private var frames: Int64 = 0

    /// A framer at PTS 0.
    public init() {}

    /// Bytes pushed and not yet in a returned frame.
    public var bufferedBytes: Int { buffer.count }

    /// Adds bytes of the stream.
    public mutating func push(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next whole 20 ms frame and its PTS, or nil when fewer than 160 bytes wait.
    public mutating func nextFrame() -> (bytes: [UInt8], ptsMilliseconds: Int64)? {
        guard buffer.count >= Self.frameBytes else { return nil }
        let frame = Array(buffer.prefix(Self.frameBytes))
        buffer.removeFirst(Self.frameBytes)
        defer { frames += 1 }
        return (frame, frames * 20)
    }
}
