import COpenSSL
import RingletCore

/// One DTLS 1.2 association for DTLS-SRTP (RFC 6347, RFC 5764, RFC 5763, RFC 8842), run by OpenSSL 3 over
/// memory BIOs with no I/O of its own.
///
/// ## Drain contract
/// The caller feeds inputs with the current `Instant` — `start(now:)`, `handleDatagram(_:now:)`,
/// `handleTimeout(now:)`, `send(_:now:)`, `close(now:)` — and after each one drains `pollDatagram()` (send each
/// to the peer, in order) and `pollEvent()` until both return nil, then asks `pollTimeout()` and calls
/// `handleTimeout(now:)` once that instant has passed. Calling `handleTimeout` early or late is harmless.
///
/// ## States (RFC 6347 §4.2.4 flights, collapsed)
/// ```
///   idle ──start / first datagram──▶ handshaking ──Finished──▶ (fingerprint known?)
///                                     │  ▲  timer: retransmit       │yes            │no
///                                     │  └──────────┘               ▼               ▼
///                                     │                  verify ◀── setRemoteFingerprints ── awaitingFingerprint
///                                     │                   │match          │mismatch
///                                     ▼                   ▼               ▼
///                                   failed ◀────────── connected ───▶ failed(.fingerprintMismatch)
///                                   (alert, timeout,      │ close / close_notify
///                                    12 retransmissions)  ▼
///                                                       closed
/// ```
/// A client sends its ClientHello on `start`; a server waits for one (its first datagram also starts it).
/// `failed` and `closed` are final: later inputs are ignored.
///
/// ## Time
/// Retransmission runs on the caller's clock alone. Each time OpenSSL (re)starts its flight timer (observed through
/// `DTLS_set_timer_cb`, which also sets the interval: `initialRetransmitInterval`, doubling up to
/// `maximumRetransmitInterval`), the deadline becomes `now + interval`, and `handleTimeout` at or after it makes
/// OpenSSL retransmit. OpenSSL 3 itself keeps that timer as a `gettimeofday` deadline and checks it in
/// `DTLSv1_handle_timeout` and on every record read; every OpenSSL call here runs inside `CallerClock.enter(now)`,
/// under which `gettimeofday` returns `now` on this thread (CRingletClock), so OpenSSL's deadline and its expiry
/// checks are the caller's too. A fake clock can run hours ahead of the system clock, or behind it; nothing waits for
/// real time. OpenSSL still counts the last 15 ms before its deadline as expired and retransmits by itself when it
/// reads a record once its deadline passed, both now measured on the caller's clock. Where a program does not bind
/// CRingletClock's `gettimeofday` (`followsCallerClock` is false), OpenSSL reads the system clock and the deadline is
/// pushed back by what OpenSSL says remains, so the transport never spins (docs/dtls.md).
///
/// ## Not Sendable
/// It owns an `SSL_CTX` and an `SSL` with mutable state that OpenSSL forbids using from two threads at once,
/// and its methods mutate queues. The engine that owns the peer connection owns its transport.
public final class DTLSTransport {
    /// Where the association is (see the diagram above).
    public enum State: Hashable, Sendable {
        case idle, handshaking, awaitingFingerprint, connected, closed, failed
    }

    /// This side's role.
    public let role: DTLSRole
    /// The settings in use.
    public let configuration: Configuration
    /// Where the association is.
    public private(set) var state: State = .idle
    /// Datagrams ignored because they were empty, too large or arrived in a final state.
    public private(set) var droppedDatagrams: Int = 0
    /// The SRTP keys, once connected.
    public private(set) var keyingMaterial: DTLSSRTPKeyingMaterial?

    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private let timer: RetransmitTimer
    private let certificate: DTLSCertificate
    private var remoteFingerprints: [DTLSFingerprint]
    private var peerCertificate: OpaquePointer?

    private var seenTimerStarts: UInt64 = 0
    private var retransmitDeadline: Instant?
    private var handshakeDeadline: Instant?

    private var datagrams = FIFOQueue<[UInt8]>()
    private var events = FIFOQueue<DTLSEvent>()
    /// Application data that arrived before the fingerprint could be checked (bounded).
    private var heldData: [[UInt8]] = []
    private var outputScratch: [UInt8] = []
    private var readScratch: [UInt8]

    /// Largest datagram accepted from the network: one maximal DTLS record with room for expansion (RFC 6347
    /// §4.1.1: 2^14 + 2048 bytes of fragment plus a 13-byte header).
    static let maximumDatagramSize = 16_384 + 2_048 + 13
    /// Largest application-data write (RFC 6347 §4.1.1).
    public static let maximumRecordPayload = 16_384
    private static let maximumHeldRecords = 64

    /// Makes a transport; nothing is sent until `start(now:)`.
    /// - Parameters:
    ///   - role: client (`a=setup:active`) or server (`a=setup:passive`).
    ///   - certificate: this endpoint's certificate, shared by all transports.
    ///   - remoteFingerprints: the peer's `a=fingerprint` values; may be empty and supplied later with
    ///     `setRemoteFingerprints(_:now:)` (the handshake then waits in `awaitingFingerprint`).
    ///   - configuration: validated here.
    /// - Throws: `.invalidConfiguration`, or `.cryptoFailure` when OpenSSL cannot set up the context.
    public init(
        role: DTLSRole,
        certificate: DTLSCertificate,
        remoteFingerprints: [DTLSFingerprint],
        configuration: Configuration = Configuration()
    ) throws(DTLSError) {
        try configuration.validate()
        self.role = role
        self.configuration = configuration
        self.certificate = certificate
        self.remoteFingerprints = remoteFingerprints
        self.timer = RetransmitTimer(
            initial: configuration.initialRetransmitInterval, maximum: configuration.maximumRetransmitInterval
        )
        self.readScratch = [UInt8](repeating: 0, count: Self.maximumRecordPayload + 2048)
        ERR_clear_error()
        guard let context = Self.makeContext(configuration: configuration, certificate: certificate) else {
            throw DTLSError(.cryptoFailure, field: "SSL_CTX", OpenSSLSupport.takeErrorString())
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw DTLSError(.cryptoFailure, field: "SSL", OpenSSLSupport.takeErrorString())
        }
        guard let readBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw DTLSError(.cryptoFailure, field: "read BIO")
        }
        guard let writeBIO = BIO_new(BIO_s_mem()) else {
            BIO_free(readBIO)
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw DTLSError(.cryptoFailure, field: "write BIO")
        }
        _ = ringlet_BIO_set_mem_eof_return(readBIO, -1)
        _ = ringlet_BIO_set_mem_eof_return(writeBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.context = context
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        _ = SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(timer).toOpaque())
        DTLS_set_timer_cb(ssl, ringletDTLSTimerCallback)
        guard ringlet_DTLS_set_link_mtu(ssl, configuration.mtu) == 1 else {
            throw DTLSError(.cryptoFailure, field: "DTLS_set_link_mtu", OpenSSLSupport.takeErrorString())
        }
    }

    /// Whether OpenSSL's DTLS timer reads the caller's `Instant` in this program (CRingletClock's `gettimeofday` is
    /// exported and bound). True in programs that link libssl and RingletDTLS normally; see docs/dtls.md.
    public static var followsCallerClock: Bool { CallerClock.isBound }

    deinit {
        if let peerCertificate { X509_free(peerCertificate) }
        SSL_free(ssl)  // frees both BIOs
        SSL_CTX_free(context)
    }

    // MARK: - Inputs

    /// Starts the handshake: a client writes its ClientHello flight; a server arms the handshake timeout.
    public func start(now: Instant) {
        guard state == .idle else { return }
        state = .handshaking
        handshakeDeadline = now + configuration.handshakeTimeout
        if role == .client { drive(now: now) }
    }

    /// Feeds one datagram from the peer (already demultiplexed as DTLS, RFC 7983).
    public func handleDatagram(_ datagram: UnsafeRawBufferPointer, now: Instant) {
        guard datagram.count > 0, datagram.count <= Self.maximumDatagramSize, let base = datagram.baseAddress else {
            droppedDatagrams &+= 1
            return
        }
        if state == .idle { start(now: now) }
        guard state == .handshaking || state == .awaitingFingerprint || state == .connected else {
            droppedDatagrams &+= 1
            return
        }
        // One datagram at a time: a memory BIO has no boundaries, so nothing may be left from the last one.
        _ = BIO_ctrl(readBIO, BIO_CTRL_RESET, 0, nil)
        guard BIO_write(readBIO, base, Int32(datagram.count)) == Int32(datagram.count) else {
            droppedDatagrams &+= 1
            return
        }
        drive(now: now)
        _ = BIO_ctrl(readBIO, BIO_CTRL_RESET, 0, nil)
    }

    /// Feeds one datagram from the peer.
    public func handleDatagram(_ datagram: [UInt8], now: Instant) {
        datagram.withUnsafeBytes { handleDatagram($0, now: now) }
    }

    /// Feeds one datagram from the peer.
    public func handleDatagram(_ datagram: ArraySlice<UInt8>, now: Instant) {
        datagram.withUnsafeBytes { handleDatagram($0, now: now) }
    }

    /// Handles the passing of `pollTimeout()`: retransmits the last flight (RFC 6347 §4.2.4) or fails the
    /// handshake when it took too long.
    public func handleTimeout(now: Instant) {
        guard state == .handshaking || state == .awaitingFingerprint || state == .connected else { return }
        if state == .handshaking, let deadline = handshakeDeadline, now >= deadline {
            fail(DTLSError(.handshakeTimeout, field: "handshake", "not finished within \(configuration.handshakeTimeout)"))
            return
        }
        guard let deadline = retransmitDeadline, now >= deadline else { return }
        let clock = CallerClock.enter(now)
        defer { CallerClock.leave(clock) }
        let startsBefore = timer.starts
        ERR_clear_error()
        let result = ringlet_DTLSv1_handle_timeout(ssl)
        flushOutput()
        if result < 0 {
            fail(DTLSError(.handshakeFailed, field: "retransmission", Self.reason("retransmissions exhausted")))
            return
        }
        if timer.starts != startsBefore {
            updateTimer(now: now)
        } else {
            // OpenSSL's own deadline is later: it restarted its timer after this deadline was set, or (in a program
            // where CallerClock is not bound) its system-clock deadline has not passed yet. Wait for what remains.
            var remaining = timeval()
            if ringlet_DTLSv1_get_timeout(ssl, &remaining) == 1 {
                let ns = Int64(remaining.tv_sec) &* 1_000_000_000 &+ Int64(remaining.tv_usec) &* 1000
                retransmitDeadline = now + .nanoseconds(max(ns, 1_000_000))
            } else {
                retransmitDeadline = nil
            }
        }
    }

    /// Supplies the peer's fingerprints (from the remote SDP) when they were not known at `init`; checks the
    /// peer's certificate now if the handshake already finished.
    public func setRemoteFingerprints(_ fingerprints: [DTLSFingerprint], now: Instant) {
        remoteFingerprints = fingerprints
        if state == .awaitingFingerprint { verifyPeer() }
    }

    /// Sends application data as one DTLS record (RFC 6347 §4.1).
    /// - Throws: `.notConnected` before `connected` or after the end; `.recordTooLarge` above 16 384 bytes.
    public func send(_ data: [UInt8], now: Instant) throws(DTLSError) {
        guard state == .connected else { throw DTLSError(.notConnected, field: "application data") }
        guard data.count <= Self.maximumRecordPayload else {
            throw DTLSError(.recordTooLarge, field: "application data", "\(data.count) bytes")
        }
        guard !data.isEmpty else { return }
        let clock = CallerClock.enter(now)
        defer { CallerClock.leave(clock) }
        ERR_clear_error()
        let written = data.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        flushOutput()
        guard written == Int32(data.count) else {
            throw DTLSError(.connectionFailed, field: "SSL_write", OpenSSLSupport.takeErrorString())
        }
    }

    /// Closes the association: sends close_notify (when the handshake has finished) and reports `.closed`.
    public func close(now: Instant) {
        guard state != .closed, state != .failed else { return }
        if state == .connected || state == .awaitingFingerprint {
            let clock = CallerClock.enter(now)
            defer { CallerClock.leave(clock) }
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
            flushOutput()
        }
        finish(.closed)
    }

    // MARK: - Outputs

    /// The next datagram to send to the peer, in order, or nil.
    public func pollDatagram() -> [UInt8]? { datagrams.popFirst() }

    /// The next event, or nil.
    public func pollEvent() -> DTLSEvent? { events.popFirst() }

    /// When `handleTimeout(now:)` should next be called, or nil when no timer runs.
    public func pollTimeout() -> Instant? {
        switch state {
        case .handshaking:
            guard let r = retransmitDeadline else { return handshakeDeadline }
            guard let h = handshakeDeadline else { return r }
            return min(r, h)
        case .awaitingFingerprint, .connected:
            return retransmitDeadline
        case .idle, .closed, .failed:
            return nil
        }
    }

    // MARK: - Driving OpenSSL

    private func drive(now: Instant) {
        let clock = CallerClock.enter(now)
        defer { CallerClock.leave(clock) }
        if state == .handshaking {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                flushOutput()
                updateTimer(now: now)
                handshakeFinished()
            } else {
                let error = SSL_get_error(ssl, result)
                if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                    flushOutput()
                    fail(DTLSError(.handshakeFailed, field: "handshake", Self.reason("SSL error \(error)")))
                    return
                }
            }
        }
        if state == .connected || state == .awaitingFingerprint { readApplicationData() }
        flushOutput()
        updateTimer(now: now)
    }

    private func readApplicationData() {
        var rounds = 0
        while rounds < 64, state == .connected || state == .awaitingFingerprint {
            rounds &+= 1
            ERR_clear_error()
            let count = readScratch.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                let data = Array(readScratch.prefix(Int(count)))
                if state == .connected {
                    events.append(.applicationData(data))
                } else if heldData.count < Self.maximumHeldRecords {
                    heldData.append(data)
                }
                continue
            }
            let error = SSL_get_error(ssl, count)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
            if error == SSL_ERROR_ZERO_RETURN {
                // The peer's close_notify: answer with ours (RFC 5246 §7.2.1).
                _ = SSL_shutdown(ssl)
                ERR_clear_error()
                flushOutput()
                finish(.closed)
                return
            }
            flushOutput()
            fail(DTLSError(.connectionFailed, field: "record", Self.reason("SSL error \(error)")))
            return
        }
    }

    private func handshakeFinished() {
        handshakeDeadline = nil
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            fail(DTLSError(.noPeerCertificate, field: "peer certificate"))
            return
        }
        peerCertificate = peer
        guard let profile = SSL_get_selected_srtp_profile(ssl) else {
            fail(DTLSError(.srtpNotNegotiated, field: "use_srtp", "the peer did not agree to an SRTP profile"))
            return
        }
        let id = UInt16(truncatingIfNeeded: profile.pointee.id)
        guard let lengths = DTLSSRTPKeyingMaterial.keyAndSaltLength(profile: id) else {
            fail(DTLSError(.unsupportedProfile, field: "use_srtp", "profile \(id)"))
            return
        }
        let length = 2 &* (lengths.key &+ lengths.salt)
        var material = [UInt8](repeating: 0, count: length)
        let label = "EXTRACTOR-dtls_srtp"
        let ok = material.withUnsafeMutableBufferPointer { out in
            label.withCString { SSL_export_keying_material(ssl, out.baseAddress, out.count, $0, strlen($0), nil, 0, 0) }
        }
        guard ok == 1 else {
            fail(DTLSError(.cryptoFailure, field: "exporter", OpenSSLSupport.takeErrorString()))
            return
        }
        keyingMaterial = DTLSSRTPKeyingMaterial(profile: id, keyingMaterial: material, localRole: role)
        state = .awaitingFingerprint
        if !remoteFingerprints.isEmpty { verifyPeer() }
    }

    /// Compares the peer certificate with the remote SDP fingerprints (RFC 8122 §5).
    private func verifyPeer() {
        guard let peer = peerCertificate, let keys = keyingMaterial else { return }
        let matches = remoteFingerprints.contains { wanted in
            DTLSFingerprint.of(certificate: peer, hashFunction: wanted.hashFunction) == wanted
        }
        guard matches else {
            let actual = DTLSFingerprint.of(certificate: peer, hashFunction: "sha-256")?.sdpValue ?? "?"
            fail(DTLSError(.fingerprintMismatch, field: "peer certificate", "peer presented \(actual)"))
            return
        }
        state = .connected
        events.append(.connected(keys))
        for data in heldData { events.append(.applicationData(data)) }
        heldData.removeAll()
    }

    private func fail(_ error: DTLSError) {
        ERR_clear_error()
        finish(.failed(error))
    }

    private func finish(_ event: DTLSEvent) {
        if case .failed = event { state = .failed } else { state = .closed }
        retransmitDeadline = nil
        handshakeDeadline = nil
        heldData.removeAll()
        events.append(event)
    }

    /// Sets the retransmission deadline after an OpenSSL call made at `now` (inside `CallerClock.enter(now)`).
    private func updateTimer(now: Instant) {
        if timer.starts != seenTimerStarts {
            seenTimerStarts = timer.starts
            retransmitDeadline = now + .microseconds(Int64(timer.currentMicroseconds))
        }
        var remaining = timeval()
        if ringlet_DTLSv1_get_timeout(ssl, &remaining) != 1 { retransmitDeadline = nil }
    }

    /// Moves what OpenSSL wrote into datagrams of at most `mtu` bytes, whole records each (RFC 6347 §4.1.1).
    private func flushOutput() {
        outputScratch.removeAll(keepingCapacity: true)
        OpenSSLSupport.drain(writeBIO, into: &outputScratch)
        guard !outputScratch.isEmpty else { return }
        RecordCoalescer.pack(outputScratch, mtu: configuration.mtu) { datagrams.append($0) }
    }

    private static func reason(_ fallback: String) -> String {
        let text = OpenSSLSupport.takeErrorString()
        return text.isEmpty ? fallback : text
    }

    private static func makeContext(configuration: Configuration, certificate: DTLSCertificate) -> OpaquePointer? {
        guard let ctx = SSL_CTX_new(DTLS_method()) else { return nil }
        var ok = ringlet_SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1
        ok = ok && ringlet_SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1
        ok = ok && SSL_CTX_set_cipher_list(ctx, configuration.cipherList) == 1
        ok = ok && configuration.groups.withCString {
            SSL_CTX_ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, UnsafeMutableRawPointer(mutating: $0)) == 1
        }
        // Note: returns 0 on success.
        ok = ok && SSL_CTX_set_tlsext_use_srtp(ctx, configuration.openSSLProfileList) == 0
        ok = ok && SSL_CTX_use_certificate(ctx, certificate.certificate) == 1
        ok = ok && SSL_CTX_use_PrivateKey(ctx, certificate.key) == 1
        ok = ok && SSL_CTX_check_private_key(ctx) == 1
        guard ok else {
            SSL_CTX_free(ctx)
            return nil
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, ringletDTLSAcceptAnyCertificate)
        _ = ringlet_SSL_CTX_set_options(ctx, ringlet_SSL_OP_NO_QUERY_MTU() | ringlet_SSL_OP_NO_TICKET())
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, Int(SSL_SESS_CACHE_OFF), nil)
        return ctx
    }
}

@available(*, unavailable, message: "DTLSTransport owns OpenSSL objects; keep it on one task")
extension DTLSTransport: Sendable {}
