import RingletCore
import RingletSTUN

extension TURNClient {
    /// What an outstanding request is for.
    enum Purpose: Hashable {
        case allocate
        case refresh(lifetime: UInt32?)
        case createPermission(IPAddress)
        case channelBind(UInt16, TransportAddress)

        var method: STUNMethod {
            switch self {
            case .allocate: .allocate
            case .refresh: .refresh
            case .createPermission: .createPermission
            case .channelBind: .channelBind
            }
        }
    }

    /// One outstanding request and its retransmission timer (RFC 8489 §6.2).
    struct Transaction {
        let purpose: Purpose
        let bytes: [UInt8]
        let authenticated: Bool
        let staleRetries: Int
        var sends: Int
        var interval: Duration
        var deadline: Instant
    }

    // MARK: Sending requests

    /// Builds, records and transmits a request for `purpose`, with credentials once the server has sent its
    /// realm and nonce.
    mutating func send(_ purpose: Purpose, now: Instant, staleRetries: Int) {
        let id = STUNTransactionID.random(using: &random)
        let authenticated = realm != nil && nonce != nil && key != nil
        guard let bytes = try? encodeRequest(purpose, id: id, authenticated: authenticated) else {
            // Only reachable with credentials the STUN codec refuses (validated at init) or a failed HMAC.
            fail(purpose, TURNError(.invalidArgument, field: "request", "the request could not be encoded"),
                 errorCode: nil, now: now)
            return
        }
        let tcp = configuration.transport == .tcp
        let deadline = tcp ? now + configuration.tcpTransactionTimeout : now + configuration.rto
        transactions[id] = Transaction(purpose: purpose, bytes: bytes, authenticated: authenticated,
                                       staleRetries: staleRetries, sends: 1, interval: configuration.rto,
                                       deadline: deadline)
        transmit(bytes)
    }

    func encodeRequest(_ purpose: Purpose, id: STUNTransactionID, authenticated: Bool) throws(STUNError) -> [UInt8] {
        var attributes: [STUNAttribute] = []
        switch purpose {
        case .allocate:
            attributes.append(STUNAttribute(STUNRequestedTransport(protocolNumber: STUNRequestedTransport.udp),
                                            transactionID: id))
            if let l = configuration.requestedLifetime {
                attributes.append(STUNAttribute(STUNLifetime(seconds: l), transactionID: id))
            }
        case .refresh(let lifetime):
            if let l = lifetime { attributes.append(STUNAttribute(STUNLifetime(seconds: l), transactionID: id)) }
        case .createPermission(let ip):
            let peer = permissions[ip]?.peer ?? TransportAddress(ip, 0)
            attributes.append(STUNAttribute(STUNXORPeerAddress(address: STUNAddress(peer)), transactionID: id))
        case .channelBind(let number, let peer):
            attributes.append(STUNAttribute(try STUNChannelNumber(number), transactionID: id))
            attributes.append(STUNAttribute(STUNXORPeerAddress(address: STUNAddress(peer)), transactionID: id))
        }
        if let s = configuration.software { attributes.append(STUNAttribute(try STUNSoftware(s), transactionID: id)) }
        var sha1Key: STUNIntegrityKey?
        var sha256Key: STUNIntegrityKey?
        if authenticated, let realm, let nonce, let key {
            attributes.append(STUNAttribute(try STUNUsername(configuration.username), transactionID: id))
            attributes.append(STUNAttribute(try STUNRealm(realm), transactionID: id))
            attributes.append(STUNAttribute(try STUNNonce(nonce), transactionID: id))
            if let algorithms = passwordAlgorithms, let algorithm = passwordAlgorithm {
                attributes.append(algorithms)
                attributes.append(STUNAttribute(algorithm, transactionID: id))
            }
            if key.algorithm == .hmacSHA256 { sha256Key = key } else { sha1Key = key }
        }
        let message = try STUNMessage(type: STUNMessageType(method: purpose.method, messageClass: .request),
                                      transactionID: id, attributes: attributes)
        return try message.encoded(messageIntegrity: sha1Key, messageIntegritySHA256: sha256Key,
                                   fingerprint: configuration.fingerprint)
    }

    /// Retransmits requests whose RTO passed (UDP) and times out those past their last wait.
    mutating func runTransactionTimers(now: Instant) {
        let due = transactions.filter { $0.value.deadline <= now }
        // Oldest deadline first, so that the outcome does not depend on dictionary order.
        for (id, _) in due.sorted(by: { $0.value.deadline < $1.value.deadline }) {
            guard state != .closed, state != .failed, var t = transactions[id] else { continue }
            if configuration.transport == .udp, t.sends < configuration.maxRequestSends {
                t.sends += 1
                t.interval = t.interval * 2
                t.deadline = t.sends == configuration.maxRequestSends
                    ? now + configuration.rto * configuration.finalWaitMultiplier
                    : now + t.interval
                transactions[id] = t
                statistics.retransmissions += 1
                transmit(t.bytes)
            } else {
                transactions[id] = nil
                let error = TURNError(.requestTimedOut, field: t.purpose.method.description,
                                      "no response after \(t.sends) send(s)")
                fail(t.purpose, error, errorCode: nil, now: now)
            }
        }
    }

    // MARK: Receiving

    /// Reassembles STUN and ChannelData frames from the TCP stream (RFC 8656 §12.5).
    mutating func handleStream(_ bytes: ArraySlice<UInt8>, now: Instant) {
        stream.append(contentsOf: bytes)
        // Each pass consumes at least 4 bytes, so the loop is bounded by the buffer's size.
        while state != .closed, state != .failed {
            let pending = stream[streamHead...]
            let frame: (kind: TURNStreamFraming.Kind, length: Int)?
            do {
                frame = try TURNStreamFraming.frameLength(pending)
            } catch {
                statistics.malformedDropped += 1
                finish(.failed(Failure(error: error, method: .allocate, errorCode: nil)))
                return
            }
            guard let frame, pending.count >= frame.length else { break }
            let start = streamHead
            streamHead += frame.length
            let message = Array(stream[start..<streamHead])
            if frame.kind == .channelData {
                handleChannelData(message[...], stream: true)
            } else {
                handleMessage(message[...], now: now)
            }
        }
        if streamHead == stream.count {
            stream.removeAll(keepingCapacity: true)
            streamHead = 0
        } else if streamHead >= 4096 {
            stream.removeFirst(streamHead)
            streamHead = 0
        }
    }

    /// One STUN message or ChannelData message from the server.
    mutating func handleMessage(_ bytes: ArraySlice<UInt8>, now: Instant) {
        guard let first = bytes.first else {
            statistics.malformedDropped += 1
            return
        }
        if first & 0xC0 == 0x40 {
            handleChannelData(bytes, stream: false)
            return
        }
        guard let message = try? STUNMessage(parsing: bytes) else {
            statistics.malformedDropped += 1
            return
        }
        switch message.type.messageClass {
        case .successResponse, .errorResponse:
            handleResponse(message, now: now)
        case .indication where message.type.method == .data:
            handleDataIndication(message)
        case .indication, .request:
            statistics.unexpectedDropped += 1
        }
    }

    mutating func handleResponse(_ message: STUNMessage, now: Instant) {
        guard let t = transactions[message.transactionID], t.purpose.method == message.type.method else {
            statistics.unmatchedResponses += 1
            return
        }
        let isError = message.type.messageClass == .errorResponse
        let errorCode: Int?
        if isError {
            guard let e = try? message.attribute(STUNErrorCode.self) else {
                statistics.malformedDropped += 1
                return
            }
            errorCode = e.code
        } else {
            errorCode = nil
        }
        // Integrity (RFC 8489 §9.2.5): a response that carries it must verify; a success response to an
        // authenticated request must carry it. 401 and 438 are the challenges themselves and are taken as they are.
        let challenge = errorCode == 401 || errorCode == 438
        if t.authenticated, let key, !challenge {
            let carries = key.algorithm == .hmacSHA256 ? message.hasMessageIntegritySHA256 : message.hasMessageIntegrity
            if carries ? !message.verifyMessageIntegrity(key) : !isError {
                statistics.integrityFailures += 1
                return
            }
        }
        transactions[message.transactionID] = nil
        if let code = errorCode {
            handleErrorResponse(message, code: code, transaction: t, now: now)
        } else {
            handleSuccess(message, transaction: t, now: now)
        }
    }

    mutating func handleErrorResponse(_ message: STUNMessage, code: Int, transaction t: Transaction, now: Instant) {
        let reason = (try? message.attribute(STUNErrorCode.self))?.reason ?? ""
        let newNonce = (try? message.attribute(STUNNonce.self))?.value
        let newRealm = (try? message.attribute(STUNRealm.self))?.value
        let error = TURNError(.errorResponse, field: t.purpose.method.description, "\(code) \(reason)")
        switch code {
        case 401 where !t.authenticated:
            guard let newNonce, let newRealm, adoptCredentials(realm: newRealm, nonce: newNonce, message: message)
            else {
                fail(t.purpose, error, errorCode: code, now: now)
                return
            }
            send(t.purpose, now: now, staleRetries: t.staleRetries)
        case 438 where t.staleRetries < configuration.maxStaleNonceRetries:
            guard let newNonce else {
                fail(t.purpose, error, errorCode: code, now: now)
                return
            }
            nonce = newNonce
            if let newRealm, newRealm != realm,
               !adoptCredentials(realm: newRealm, nonce: newNonce, message: message)
            {
                fail(t.purpose, error, errorCode: code, now: now)
                return
            }
            send(t.purpose, now: now, staleRetries: t.staleRetries + 1)
        default:
            fail(t.purpose, error, errorCode: code, now: now)
        }
    }

    /// Takes the realm and nonce of a 401 and makes the long-term key (RFC 8489 §9.2.2–9.2.4): with
    /// PASSWORD-ALGORITHMS and the nonce cookie, the first algorithm of the server's list that the client knows
    /// and MESSAGE-INTEGRITY-SHA256; otherwise MD5 and MESSAGE-INTEGRITY. Returns false if no key can be made.
    mutating func adoptCredentials(realm newRealm: String, nonce newNonce: String, message: STUNMessage) -> Bool {
        var kind = STUNPasswordAlgorithm.Kind.md5
        var sha256 = false
        passwordAlgorithms = nil
        passwordAlgorithm = nil
        if newNonce.hasPrefix("obMatJos2"), let raw = message.firstAttribute(.passwordAlgorithms),
           let offered = try? message.attribute(STUNPasswordAlgorithms.self),
           let chosen = offered.algorithms.first(where: { $0.algorithm == .sha256 || $0.algorithm == .md5 }),
           let attribute = try? STUNAttribute(type: .passwordAlgorithms, value: Array(raw.value))
        {
            kind = chosen.algorithm
            sha256 = true
            passwordAlgorithms = attribute
            passwordAlgorithm = chosen
        }
        guard let k = try? STUNIntegrityKey.longTerm(username: configuration.username, realm: newRealm,
                                                      password: configuration.password.value,
                                                      passwordAlgorithm: kind,
                                                      algorithm: sha256 ? .hmacSHA256 : .hmacSHA1)
        else { return false }
        realm = newRealm
        nonce = newNonce
        key = k
        return true
    }

    mutating func handleSuccess(_ message: STUNMessage, transaction t: Transaction, now: Instant) {
        switch t.purpose {
        case .allocate:
            guard state == .allocating else { return }
            guard let relayed = (try? message.attribute(STUNXORRelayedAddress.self))?.address.transportAddress else {
                fail(t.purpose, TURNError(.invalidResponse, field: "XOR-RELAYED-ADDRESS", "missing or malformed"),
                     errorCode: nil, now: now)
                return
            }
            let mapped = (try? message.attribute(STUNXORMappedAddress.self))?.address.transportAddress
            let seconds = (try? message.attribute(STUNLifetime.self))?.seconds ?? configuration.requestedLifetime ?? 600
            relayedAddress = relayed
            mappedAddress = mapped
            state = .allocated
            let lifetime = Duration.seconds(Int64(seconds))
            scheduleRefresh(lifetime: lifetime, now: now)
            emit(.allocated(relayed: relayed, mapped: mapped, lifetime: lifetime))
        case .refresh(let requested):
            if state == .closing || requested == 0 {
                finish(.closed)
                return
            }
            let seconds = (try? message.attribute(STUNLifetime.self))?.seconds ?? requested ?? 600
            guard seconds > 0 else {
                finish(.failed(Failure(error: TURNError(.invalidResponse, field: "LIFETIME", "the server ended the allocation"),
                                       method: .refresh, errorCode: nil)))
                return
            }
            let lifetime = Duration.seconds(Int64(seconds))
            scheduleRefresh(lifetime: lifetime, now: now)
            emit(.refreshed(lifetime: lifetime))
        case .createPermission(let ip):
            permissionInstalled(ip, now: now)
        case .channelBind(let number, let peer):
            channelBound(number, peer: peer, now: now)
        }
    }

    /// Refresh at expiry − margin, or at half the lifetime when it is short (RFC 8656 §8).
    mutating func scheduleRefresh(lifetime: Duration, now: Instant) {
        allocationExpiry = now + lifetime
        let margin = configuration.refreshMargin
        refreshAt = now + (lifetime > margin * 2 ? lifetime - margin : lifetime / 2)
    }

    /// Reports a request's failure: fatal for Allocate and Refresh, per peer for the others.
    mutating func fail(_ purpose: Purpose, _ error: TURNError, errorCode: Int?, now: Instant) {
        let failure = Failure(error: error, method: purpose.method, errorCode: errorCode)
        switch purpose {
        case .allocate:
            finish(.failed(failure))
        case .refresh:
            finish(state == .closing ? .closed : .failed(failure))
        case .createPermission(let ip):
            permissionFailed(ip, failure)
        case .channelBind(_, let peer):
            channelBindFailed(peer, failure)
        }
    }
}
