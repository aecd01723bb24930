import RingletCore
import Testing
@testable import RingletRTP

@Suite("RTP clocks: milliseconds ↔ RTP timestamps")
struct PayloadClockTests {
    @Test("one second is the clock rate in ticks", arguments: [(RTPClock.video, 90_000), (.opus, 48_000), (.g711, 8_000)] as [(RTPClock, Int64)])
    func oneSecond(clock: RTPClock, ticks: Int64) {
        #expect(clock.ticks(milliseconds: 1000) == ticks)
        #expect(clock.timestamp(milliseconds: 1000, base: 7) == UInt32(ticks) + 7)
        #expect(clock.milliseconds(ticks: ticks) == 1000)
    }

    @Test("timestamps wrap at 2^32")
    func wraps() {
        #expect(RTPClock.video.timestamp(milliseconds: 1, base: 0xFFFF_FFF0) == 74)
        #expect(RTPClock.video.timestamp(milliseconds: 47_721_859, base: 0) == UInt32((Int64(47_721_859) * 90) % (1 << 32)))
        #expect(RTPClock.video.timestamp(milliseconds: .max, base: 1) == 1 &+ UInt32(truncatingIfNeeded: RTPClock.video.ticks(milliseconds: .max)))
    }

    @Test("negative times round toward negative infinity")
    func negative() {
        #expect(RTPClock(rate: 44_100).ticks(milliseconds: -1) == -45)
        #expect(RTPClock.g711.timestamp(milliseconds: -1, base: 100) == 92)
        #expect(RTPClock.video.milliseconds(ticks: -1) == -1)
    }

    @Test("unwrapping keeps increasing across the 32-bit wrap and reports reordered timestamps as older")
    func unwrap() {
        var u = RTPTimestampUnwrapper()
        #expect(u.unwrap(0xFFFF_FF00) == 0)
        #expect(u.unwrap(0x0000_0100) == 0x200)
        #expect(u.unwrap(0xFFFF_FFF0) == 0xF0)
        #expect(u.unwrap(0x8000_0000) == 0x8000_0100)
        #expect(u.unwrap(0xF000_0000) == 0xF000_0100)
        #expect(u.unwrap(0x0000_0000) == 0x1_0000_0100)
        #expect(u.unwrap(0xFFFF_FFFF) == 0x1_0000_00FF)
    }

    @Test("milliseconds → timestamp → unwrap → milliseconds is exact over 40 hours", arguments: [RTPClock.video, .opus, .g711])
    func roundTrip(clock: RTPClock) {
        var rng = SeededRandom(seed: 42)
        var u = RTPTimestampUnwrapper()
        let base = UInt32.random(in: 0...UInt32.max, using: &rng)
        var ms: Int64 = 0
        _ = u.unwrap(clock.timestamp(milliseconds: 0, base: base))
        while ms < 40 * 3_600_000 {
            ms += Int64.random(in: 1...600_000, using: &rng)
            let ticks = u.unwrap(clock.timestamp(milliseconds: ms, base: base))
            #expect(clock.milliseconds(ticks: ticks) == ms)
        }
    }
}
