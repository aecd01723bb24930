import COpenSSL

/// The retransmission schedule handed to OpenSSL through `DTLS_set_timer_cb` (RFC 6347 §4.2.4.1).
///
/// OpenSSL calls back with 0 when it starts the timer for a new flight and with the previous interval when it
/// retransmits; the answer is the next interval. Counting the calls lets the transport know, without reading a
/// clock, that a timer (re)started during the OpenSSL call it just made — the call ran at the caller's `now`,
/// so the deadline is `now + interval` on the caller's clock.
///
/// A separate object (not the transport) so that OpenSSL's callback, which runs inside a transport method, never
/// touches the transport's own stored properties.
final class RetransmitTimer {
    let initialMicroseconds: UInt32
    let maximumMicroseconds: UInt32
    /// The interval of the running timer.
    private(set) var currentMicroseconds: UInt32 = 0
    /// How many times OpenSSL has started or restarted a timer.
    private(set) var starts: UInt64 = 0

    init(initial: Duration, maximum: Duration) {
        initialMicroseconds = Self.microseconds(initial)
        maximumMicroseconds = max(Self.microseconds(maximum), Self.microseconds(initial))
    }

    /// OpenSSL's question: the interval after `previous` µs (0 = a new flight).
    func next(after previous: UInt32) -> UInt32 {
        starts &+= 1
        if previous == 0 {
            currentMicroseconds = initialMicroseconds
        } else {
            let (doubled, overflow) = previous.multipliedReportingOverflow(by: 2)
            currentMicroseconds = overflow ? maximumMicroseconds : min(doubled, maximumMicroseconds)
        }
        return currentMicroseconds
    }

    private static func microseconds(_ d: Duration) -> UInt32 {
        let us = d.nanosecondsClamped / 1000
        return UInt32(clamping: max(1, us))
    }
}

/// `DTLS_timer_cb`: finds the `RetransmitTimer` stored as the SSL's app data (ex_data index 0).
func ringletDTLSTimerCallback(_ ssl: OpaquePointer?, _ previous: UInt32) -> UInt32 {
    guard let ssl, let raw = SSL_get_ex_data(ssl, 0) else { return 1_000_000 }
    return Unmanaged<RetransmitTimer>.fromOpaque(raw).takeUnretainedValue().next(after: previous)
}

/// Certificate verification callback: accepts any chain, self-signed included. Trust comes from comparing the
/// peer certificate's fingerprint with the one in the remote SDP after the handshake (RFC 8122 §5, RFC 5763 §5).
func ringletDTLSAcceptAnyCertificate(_ preverified: Int32, _ store: OpaquePointer?) -> Int32 { 1 }
