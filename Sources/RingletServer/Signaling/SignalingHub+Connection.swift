import COpenSSL
import HummingbirdWebSocket
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
    func serve(kind: EndpointKind, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let id = await core.makeSessionID()
        let (stream, continuation) = AsyncStream<SessionOutgoing>.makeStream()
        let flag = AuthenticationFlag()
        let deadline = authenticationDeadline
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await item in stream {
                    switch item {
                    case .message(let message):
                        do {
                            try await outbound.writeTextMessage(message.text)
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
                        continuation.yield(.message(.error(ErrorMessage(
                            code: .authenticationTimeout, message: "no authentication within the deadline"))))
                        continuation.yield(.close(.policy, "authentication timeout"))
                        continuation.finish()
                    }
                }
                await self.read(kind: kind, id: id, inbound: inbound, outgoing: continuation, flag: flag)
                inner.cancelAll()
            }
            await self.core.close(id, now: self.clock())
            continuation.finish()
        }
        logger.debug("signaling session ended", metadata: ["session": "\(id)", "kind": "\(kind.rawValue)"])
    }

    /// Authenticates, then feeds every message to the router until the peer closes or misbehaves.
    private func read(kind: EndpointKind, id: SessionID, inbound: WebSocketInboundStream,
                      outgoing: AsyncStream<SessionOutgoing>.Continuation, flag: AuthenticationFlag) async {
        var frames = inbound.makeAsyncIterator()
        func refuse(_ code: SignalingError.Code, _ message: String, close kind: SessionCloseKind = .policy) {
            outgoing.yield(.message(.error(ErrorMessage(code: code, message: message))))
            outgoing.yield(.close(kind, code.rawValue))
            outgoing.finish()
        }
        var nonce: [UInt8] = []
        if kind == .device {
            var random = SystemRandomNumberGenerator()
            nonce = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            outgoing.yield(.message(.challenge(Challenge(nonce: Base64URL.encode(nonce), serverTime: clock()))))
        }
        // Authentication: exactly one message, the right one.
        let first = await SignalingHub.readMessage(&frames)
        guard case .text(let bytes) = first else {
            if case .end = first { return }
            if case .tooLarge(let size) = first {
                return refuse(.tooLarge, "message of \(size)+ bytes exceeds \(SignalingLimits.maximumMessageSize)", close: .tooLarge)
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
        switch (kind, message) {
        case (.device, .authDevice(let auth)):
            guard let verified = verifyDevice(auth, nonce: nonce) else {
                return refuse(.authenticationFailed, "the device signature was not accepted")
            }
            identity = verified
        case (.user, .authUser(let auth)):
            guard let verified = verifyUser(auth) else {
                return refuse(.authenticationFailed, "the session token was not accepted")
            }
            identity = verified
        default:
            return refuse(.unauthenticated, "authenticate first with \(kind == .device ? "auth_device" : "auth_user")")
        }
        guard await flag.claim() else { return }
        await core.open(id, identity: identity, outgoing: outgoing, now: clock())

        while true {
            switch await SignalingHub.readMessage(&frames) {
            case .end:
                return
            case .binary:
                return refuse(.malformed, "binary frames are not accepted")
            case .tooLarge(let size):
                return refuse(.tooLarge, "message of \(size)+ bytes exceeds \(SignalingLimits.maximumMessageSize)",
                              close: .tooLarge)
            case .text(let bytes):
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
    static func readMessage(_ frames: inout WebSocketInboundStream.AsyncIterator) async -> ReadResult {
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
            guard size <= SignalingLimits.maximumMessageSize else { return .tooLarge(size) }
            bytes.append(contentsOf: frame.data.readableBytesView)
            if frame.fin { return isText ? .text(bytes) : .binary }
        }
    }

    /// Checks a device's challenge signature against the key it registered.
    func verifyDevice(_ auth: AuthDevice, nonce: [UInt8]) -> SessionIdentity? {
        guard let signature = Base64URL.decode(auth.signature),
              let device = try? store.device(sn: auth.sn), let publicKey = device.publicKey,
              DeviceKey.verifyChallenge(signature: signature, nonce: nonce, publicKey: publicKey)
        else { return nil }
        return .device(sn: auth.sn)
    }

    /// Looks a user's token up by its SHA-256 and checks it has not expired.
    func verifyUser(_ auth: AuthUser) -> SessionIdentity? {
        let hash = SignalingHub.sha256Hex(Array(auth.token.utf8))
        guard let session = try? store.session(tokenHash: hash), session.expiresAt > clock() else { return nil }
        return .user(userID: session.userID, appID: session.appID, channel: session.channel)
    }

    /// Lowercase hex SHA-256, the form the store keeps tokens in.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = digest.withUnsafeMutableBufferPointer { out in SHA256(bytes, bytes.count, out.baseAddress) }
        return digest.hexString
    }
}
