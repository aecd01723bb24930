import COpenSSL
import HummingbirdWebSocket
import NIOCore
import RingletCore
import RingletSignaling
import RingletStore

extension SignalingHub {
    enum EndpointKind: String, Sendable { case device, user }

    /// Decides, once, whether a connection authenticated in time: the reader and the deadline task both try
    /// to claim it and only the first succeeds.
    actor AuthenticationFlag {
        private var claimed = false
        func claim() -> Bool {
            defer { claimed = true }
            return !claimed
        }
    }

    enum ReadResult {
        case text([UInt8])
        case binary
        case tooLarge(Int)
        case end
    }

    /// Serves one WebSocket connection until it closes.
    /// - Parameter clientIP: the client's address for the failed-authentication limit (default: the channel's
    ///   peer; the routes pass ``RingletRequestContext/clientIP``, the client behind a trusted proxy).
    func serve(kind: EndpointKind, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
               channel: (any Channel)? = nil, clientIP: String?? = nil) async {
        let id = await core.makeSessionID()
        // A peer that does not read fills the outbox; the connection is then closed under its stuck writer.
        let outbox = SessionOutbox(maximumMessages: limits.signalingQueueMessages,
                                   maximumBytes: limits.signalingQueueBytes,
                                   onOverflow: { channel?.close(mode: .all, promise: nil) })
        let ip = clientIP ?? channel?.remoteAddress?.ipAddress
        let flag = AuthenticationFlag()
        let deadline = authenticationDeadline
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let item = await outbox.next() {
                    switch item {
                    case .message(let message):
                        do {
                            try await outbound.writeTextMessage(message.text)
                        } catch {
                            return
                        }
                    case .text(let text):
                        do {
                            try await outbound.writeTextMessage(text)
                        } catch {
                            return
                        }
                    case .close(let kind, let reason):
                        switch kind {
                        case .normal: try? await outbound.close(.normalClosure, reason: reason)
                        case .policy: try? await outbound.close(.policyViolation, reason: reason)
                        case .tooLarge: try? await outbound.close(.messageTooLarge, reason: reason)
                        }
                        return
                    }
                }
            }
            // The reader and its deadline run in an inner group; cancelling it must not cancel the writer,
            // which drains what is queued (an error, a close) after the reader ends.
            await withTaskGroup(of: Void.self) { inner in
                inner.addTask {
                    do {
                        try await Task.sleep(for: deadline)
                    } catch {
                        return
                    }
                    if await flag.claim() {
                        outbox.put(.message(.error(ErrorMessage(
                            code: .authenticationTimeout, message: "no authentication within the deadline"))))
                        outbox.put(.close(.policy, "authentication timeout"))
                        outbox.finish()
                    }
                }
                await self.read(kind: kind, id: id, inbound: inbound, outbox: outbox, flag: flag, ip: ip)
                inner.cancelAll()
            }
            await self.core.close(id, now: self.clock())
            outbox.finish()
        }
        logger.debug("signaling session ended", metadata: ["session": "\(id)", "kind": "\(kind.rawValue)"])
    }

    /// Authenticates, then feeds every message to the router until the peer closes or misbehaves.
    private func read(kind: EndpointKind, id: SessionID, inbound: WebSocketInboundStream, outbox: SessionOutbox,
                      flag: AuthenticationFlag, ip: String?) async {
        var frames = inbound.makeAsyncIterator()
        func refuse(_ code: SignalingError.Code, _ message: String, close kind: SessionCloseKind = .policy) {
            outbox.put(.message(.error(ErrorMessage(code: code, message: message))))
            outbox.put(.close(kind, code.rawValue))
            outbox.finish()
        }
        if let wait = authLimiter.retryAfter(ip) {
            return refuse(.rateLimited, "too many failed authentications from this address; retry in \(wait) s")
        }
        var nonce: [UInt8] = []
        if kind == .device {
            var random = SystemRandomNumberGenerator()
            nonce = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            outbox.put(.message(.challenge(Challenge(nonce: Base64URL.encode(nonce), serverTime: clock()))))
        }
        // Authentication: exactly one message, the right one, and small.
        let preAuthLimit = limits.signalingPreAuthMessageBytes
        let first = await SignalingHub.readMessage(&frames, limit: preAuthLimit)
        guard case .text(let bytes) = first else {
            if case .end = first { return }
            if case .tooLarge(let size) = first {
                return refuse(.tooLarge, "message of \(size)+ bytes before authentication exceeds \(preAuthLimit)",
                              close: .tooLarge)
            }
            return refuse(.malformed, "binary frames are not accepted")
        }
        let message: ClientMessage
        do {
            message = try ClientMessage(parsing: bytes)
        } catch {
            return refuse(error.code, error.message)
        }
        let identity: SessionIdentity
        let credential: SessionCredential
        let profile: SessionProfile
        let verified: Verification
        switch (kind, message) {
        case (.device, .authDevice(let auth)):
            verified = await verifyDevice(auth, nonce: nonce)
        case (.user, .authUser(let auth)):
            verified = await verifyUser(auth)
        default:
            return refuse(.unauthenticated, "authenticate first with \(kind == .device ? "auth_device" : "auth_user")")
        }
        switch verified {
        case .accepted(let who, let what, let known):
            identity = who
            credential = what
            profile = known
        case .refused:
            authLimiter.recordFailure(ip, at: .signaling)
            return refuse(.authenticationFailed,
                          kind == .device ? "the device signature was not accepted" : "the session token was not accepted")
        case .unavailable:
            return refuse(.internalError, "the server cannot check credentials now; try again")
        }
        guard await flag.claim() else { return }
        await core.open(id, identity: identity, credential: credential, profile: profile, outbox: outbox, now: clock())

        // After authentication: a token bucket per session; messages over it are dropped, with an
        // `error rate_limited` at most once a second, and a session that keeps on is closed.
        var bucket = TokenBucket(capacity: Double(limits.signalingMessageBurst),
                                 refillPerSecond: Double(limits.signalingMessagesPerSecond),
                                 now: AuthFailureLimiter.monotonicNow())
        var refusedMessages = 0
        var lastRefusalError: Instant?
        while true {
            switch await SignalingHub.readMessage(&frames, limit: SignalingLimits.maximumMessageSize) {
            case .end:
                return
            case .binary:
                return refuse(.malformed, "binary frames are not accepted")
            case .tooLarge(let size):
                return refuse(.tooLarge, "message of \(size)+ bytes exceeds \(SignalingLimits.maximumMessageSize)",
                              close: .tooLarge)
            case .text(let bytes):
                let now = AuthFailureLimiter.monotonicNow()
                guard bucket.take(now: now) else {
                    rateLimited.increment()
                    refusedMessages += 1
                    if refusedMessages > limits.signalingRateLimitCloseAfter {
                        logger.info("signaling session closed: over its message rate",
                                    metadata: ["session": "\(id)", "reason": "rate_limited"])
                        return refuse(.rateLimited, "more than \(limits.signalingMessagesPerSecond) messages a second")
                    }
                    if lastRefusalError.map({ now >= $0 + .seconds(1) }) ?? true {
                        lastRefusalError = now
                        outbox.put(.message(.error(ErrorMessage(
                            code: .rateLimited,
                            message: "over \(limits.signalingMessagesPerSecond) messages a second; messages dropped"))))
                    }
                    continue
                }
                do {
                    let message = try ClientMessage(parsing: bytes)
                    await core.handle(id, message, now: clock())
                } catch {
                    return refuse(error.code, error.message)
                }
            }
        }
    }

    /// Reads one message (a text or binary frame and its continuations), stopping as soon as it grows past the
    /// size limit.
    static func readMessage(_ frames: inout WebSocketInboundStream.AsyncIterator, limit: Int) async -> ReadResult {
        var bytes: [UInt8] = []
        var isText = true
        var first = true
        while true {
            let next: WebSocketDataFrame?
            do {
                next = try await frames.next()
            } catch {
                return .end
            }
            guard let frame = next else { return .end }
            if first {
                isText = frame.opcode == .text
                first = false
            }
            let size = bytes.count &+ frame.data.readableBytes
            guard size <= limit else { return .tooLarge(size) }
            bytes.append(contentsOf: frame.data.readableBytesView)
            if frame.fin { return isText ? .text(bytes) : .binary }
        }
    }

    /// What a credential check found.
    enum Verification {
        /// Good: who the session is, what it stands on, and what the store says of it.
        case accepted(SessionIdentity, SessionCredential, SessionProfile)
        /// Not accepted (counts as a failed authentication of the address).
        case refused
        /// The store failed: nothing is known (not counted).
        case unavailable
    }

    /// Checks a device's challenge signature against the key it registered.
    func verifyDevice(_ auth: AuthDevice, nonce: [UInt8]) async -> Verification {
        guard auth.sn.utf8.count <= 128, let signature = Base64URL.decode(auth.signature) else { return .refused }
        let found: DeviceRecord?
        do {
            found = try await store.device(sn: auth.sn)
        } catch {
            return .unavailable
        }
        guard let device = found, let publicKey = device.publicKey,
              DeviceKey.verifyChallenge(signature: signature, nonce: nonce, publicKey: publicKey)
        else { return .refused }
        return .accepted(.device(sn: auth.sn), SessionCredential(publicKey: publicKey),
                         SessionProfile(appID: device.appID, deviceName: device.name))
    }

    /// Looks a user's token up by its SHA-256 and checks it has not expired.
    func verifyUser(_ auth: AuthUser) async -> Verification {
        let hash = SignalingHub.sha256Hex(Array(auth.token.utf8))
        let found: SessionRecord?
        let user: UserRecord?
        do {
            found = try await store.session(tokenHash: hash)
            if let found { user = try await store.user(id: found.userID) } else { user = nil }
        } catch {
            return .unavailable
        }
        guard let session = found, session.expiresAt > clock(), let user, user.appID == session.appID else {
            return .refused
        }
        return .accepted(.user(userID: session.userID, appID: session.appID, channel: session.channel),
                         SessionCredential(tokenHash: hash, expiresAt: session.expiresAt),
                         SessionProfile(appID: user.appID, openID: user.openID))
    }

    /// Lowercase hex SHA-256, the form the store keeps tokens in.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = digest.withUnsafeMutableBufferPointer { out in SHA256(bytes, bytes.count, out.baseAddress) }
        return digest.hexString
    }
}
