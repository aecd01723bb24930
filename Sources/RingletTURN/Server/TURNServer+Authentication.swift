import RingletCore
import RingletSTUN

extension TURNServer {
    /// A request's verified credentials.
    struct Credentials {
        let username: String
        let key: STUNIntegrityKey
    }

    /// How long one nonce is handed out: half its lifetime, so that a nonce is never stale in less than half a
    /// lifetime after a client got it (RFC 8489 §9.2).
    var noncePeriod: Int64 { max(1, configuration.nonceLifetime.nanosecondsClamped / 2) }

    /// The NONCE for `ip` at `now` (RFC 8489 §9.2): 16 hex digits of the period index, then 20 hex digits of
    /// HMAC-SHA1(nonceKey, index ‖ IP). The same for every answer to one address within one period; another
    /// address, or the same one after ``Configuration/nonceLifetime``, is refused with 438. Stateless: the
    /// server keeps no table of nonces.
    func nonce(for ip: IPAddress, now: Instant) -> [UInt8] {
        let index = now.nanoseconds >= 0 ? now.nanoseconds / noncePeriod : (now.nanoseconds + 1) / noncePeriod - 1
        return nonce(index: UInt64(bitPattern: index), ip: ip)
    }

    func nonce(index: UInt64, ip: IPAddress) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(24)
        for shift in stride(from: 56, through: 0, by: -8) { input.append(UInt8(truncatingIfNeeded: index >> UInt64(shift))) }
        input += ip.bytes
        let mac = nonceKey.authenticationCode(input).prefix(10)
        return Array((input.prefix(8).hexString + mac.hexString).utf8)
    }

    /// Whether `value` is a nonce this server gave to `ip` and that has not expired at `now`.
    func nonceIsValid(_ value: ArraySlice<UInt8>, ip: IPAddress, now: Instant) -> Bool {
        guard value.count == 36 else { return false }
        var index: UInt64 = 0
        for byte in value.prefix(16) {
            guard let digit = Self.hexDigit(byte) else { return false }
            index = index << 4 | UInt64(digit)
        }
        let issued = Int64(bitPattern: index).multipliedReportingOverflow(by: noncePeriod)
        guard !issued.overflow, issued.partialValue <= now.nanoseconds,
              now.nanoseconds - issued.partialValue < configuration.nonceLifetime.nanosecondsClamped
        else { return false }
        return value.elementsEqual(nonce(index: index, ip: ip))
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// REALM and the current NONCE for the client of `flow`, for 401 and 438 answers.
    func realmAndNonce(_ flow: ClientFlow, now: Instant) -> [STUNAttribute] {
        [try? STUNAttribute(type: .realm, value: Array(configuration.realm.utf8)),
         try? STUNAttribute(type: .nonce, value: nonce(for: flow.client.ip, now: now))].compactMap { $0 }
    }

    /// The long-term key for a REST username: password = base64(HMAC-SHA1(secret, username)), key =
    /// MD5(username ":" realm ":" password) (RFC 8489 §9.2.2).
    func deriveKey(username: String) -> STUNIntegrityKey? {
        let password = Base64.encode(secretKey.authenticationCode(Array(username.utf8)))
        return try? STUNIntegrityKey.longTerm(username: username, realm: configuration.realm, password: password)
    }

    /// Checks a request's long-term credentials in RFC 8489 §9.2.4's order; on failure queues the answer
    /// (401 without MESSAGE-INTEGRITY, 400 without USERNAME/REALM/NONCE, 438 for a stale nonce, 401 for an
    /// expired REST username or a wrong key) and returns nil.
    mutating func authenticate(_ m: STUNMessage, flow: ClientFlow, now: Instant) -> Credentials? {
        guard m.hasMessageIntegrity else {
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(flow, now: now),
                      key: nil)
            return nil
        }
        guard let username = (try? m.attribute(STUNUsername.self)) ?? nil, m.firstAttribute(.realm) != nil,
              let nonceAttribute = m.firstAttribute(.nonce)
        else {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: nil)
            return nil
        }
        guard nonceIsValid(nonceAttribute.value, ip: flow.client.ip, now: now) else {
            sendError(for: m, flow: flow, code: 438, reason: "Stale Nonce", extra: realmAndNonce(flow, now: now), key: nil)
            return nil
        }
        let nowUnix = unixTime(at: now)
        guard let expiry = TURNRESTCredential.expiry(ofUsername: username.value), nowUnix < 0 || expiry >= UInt64(nowUnix)
        else {
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(flow, now: now),
                      key: nil)
            return nil
        }
        var key: STUNIntegrityKey?
        if let i = byFlow[flow], let a = slots[i], a.username == username.value { key = a.key }
        if key == nil { key = deriveKey(username: username.value) }
        guard let key else {
            sendError(for: m, flow: flow, code: 500, reason: "Server Error", key: nil)
            return nil
        }
        guard m.verifyMessageIntegrity(key) else {
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(flow, now: now),
                      key: nil)
            return nil
        }
        return Credentials(username: username.value, key: key)
    }

    /// The active allocation on `flow` for an authenticated request; otherwise answers 437 (none, or still
    /// pending) or 441 (another username made it) and returns nil (RFC 8656 §7.3, §9.2, §11.2).
    mutating func activeAllocation(for m: STUNMessage, flow: ClientFlow, credentials: Credentials) -> Int? {
        guard let i = byFlow[flow], let a = slots[i], a.relay != nil else {
            sendError(for: m, flow: flow, code: 437, reason: "Allocation Mismatch", key: credentials.key)
            return nil
        }
        guard a.username == credentials.username else {
            sendError(for: m, flow: flow, code: 441, reason: "Wrong Credentials", key: credentials.key)
            return nil
        }
        return i
    }
}
