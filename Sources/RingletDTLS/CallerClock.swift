import COpenSSL
import CRingletClock
import RingletCore

/// Makes OpenSSL's DTLS timer read the caller's `Instant` instead of the system clock.
///
/// OpenSSL 3.0 keeps its flight timer as a `gettimeofday` deadline (`dtls1_start_timer`: now + interval) and checks
/// it against `gettimeofday` whenever it handles a timeout or reads a record. CRingletClock defines
/// `gettimeofday` for the whole program; while `enter(_:)` is in force on a thread, it returns that instant there.
/// `DTLSTransport` brackets every OpenSSL call with `enter`/`leave`, so OpenSSL's deadline, its expiry checks and
/// the transport's `pollTimeout()` are all on one clock: the caller's.
enum CallerClock {
    /// Seconds added to an instant to make OpenSSL's time: every `Int64` nanosecond count (±9.2 × 10⁹ s) then
    /// maps to a positive `timeval`, so no deadline is ever the all-zero value OpenSSL reads as "no timer".
    static let epochOffsetSeconds: Int64 = 10_000_000_000

    /// OpenSSL's time for `now`: whole microseconds (rounded down) after the epoch offset.
    static func openSSLTime(_ now: Instant) -> (seconds: Int64, microseconds: Int32) {
        let (q, r) = now.nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let seconds = r < 0 ? q &- 1 : q
        let nanos = r < 0 ? r &+ 1_000_000_000 : r
        return (seconds &+ epochOffsetSeconds, Int32(nanos / 1000))
    }

    /// Makes `gettimeofday` return `now` on this thread; returns what to hand to `leave(_:)`.
    static func enter(_ now: Instant) -> ringlet_clock_override {
        let t = openSSLTime(now)
        return ringlet_clock_exchange(ringlet_clock_override(seconds: t.seconds, microseconds: t.microseconds, active: 1))
    }

    /// Restores the override that `enter(_:)` replaced.
    static func leave(_ previous: ringlet_clock_override) {
        _ = ringlet_clock_exchange(previous)
    }

    /// Whether libssl's DTLS timer really reads CRingletClock's `gettimeofday` in this process (the program exports
    /// it and the dynamic linker bound libssl to it). Checked once, on a throwaway client: its ClientHello starts
    /// OpenSSL's 1 s timer at a made-up instant, and half a second later on the same made-up clock OpenSSL must
    /// say that exactly 500 ms remain. A program that does not export the symbol gets the system clock instead,
    /// and this is false; the transport still works then, on the system clock (see docs/dtls.md).
    static let isBound: Bool = probe()

    private static func probe() -> Bool {
        guard let context = SSL_CTX_new(DTLS_method()) else { return false }
        defer { SSL_CTX_free(context) }
        guard let ssl = SSL_new(context) else { return false }
        defer { SSL_free(ssl) }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else { return false }
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_connect_state(ssl)
        let start = Instant(nanoseconds: 1_234_567_000)
        let previous = enter(start)
        defer { leave(previous) }
        _ = SSL_do_handshake(ssl)
        ERR_clear_error()
        _ = enter(start + .milliseconds(500))
        var remaining = timeval()
        guard ringlet_DTLSv1_get_timeout(ssl, &remaining) == 1 else { return false }
        return remaining.tv_sec == 0 && remaining.tv_usec == 500_000
    }
}
