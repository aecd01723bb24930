/// A sliding replay window over packet indices (RFC 3711 §3.3.2): remembers which of the last `size` indices
/// below the highest one have been received.
///
/// The bitmap is a ring indexed by `index mod size`, so advancing clears only the bits that leave the window and
/// never shifts words. A final class so that updating it inside the stream table never copies the bitmap.
final class SRTPReplayWindow {
    /// Outcome of checking an index against the window.
    enum Verdict { case fresh, replayed, tooOld }

    let size: Int
    private var bits: [UInt64]
    /// The highest index accepted so far.
    private(set) var highest: UInt64

    /// A window whose first accepted index is `first`.
    init(size: Int, first: UInt64) {
        self.size = size
        self.bits = [UInt64](repeating: 0, count: (size + 63) / 64)
        self.highest = first
        set(first)
    }

    /// Whether `index` may be accepted (it is newer than the highest, or inside the window and unseen).
    @inline(__always)
    func check(_ index: UInt64) -> Verdict {
        if index > highest { return .fresh }
        let delta = highest - index
        if delta >= UInt64(size) { return .tooOld }
        return isSet(index) ? .replayed : .fresh
    }

    /// Records `index` as received (call only after the packet authenticated and `check` said `.fresh`).
    @inline(__always)
    func accept(_ index: UInt64) {
        if index > highest {
            let jump = index - highest
            if jump >= UInt64(size) {
                for i in bits.indices { bits[i] = 0 }
            } else {
                var i = highest &+ 1
                while i <= index {
                    clear(i)
                    i &+= 1
                }
            }
            highest = index
        }
        set(index)
    }

    @inline(__always) private func position(_ index: UInt64) -> (Int, UInt64) {
        let p = Int(truncatingIfNeeded: index % UInt64(size))
        return (p >> 6, 1 << UInt64(p & 63))
    }
    @inline(__always) private func isSet(_ index: UInt64) -> Bool {
        let (w, m) = position(index)
        return bits[w] & m != 0
    }
    @inline(__always) private func set(_ index: UInt64) {
        let (w, m) = position(index)
        bits[w] |= m
    }
    @inline(__always) private func clear(_ index: UInt64) {
        let (w, m) = position(index)
        bits[w] &= ~m
    }
}
