import RingletCore
import RingletSTUN

extension TURNServer {
    /// A request's verified credentials.
    struct Credentials {
        let username: String
        let key: STUNIntegrityKey
    }

    /// A fresh NONCE value: 16 bytes from the injected generator, in hex (32 characters, RFC 8489 §14.10).
    mutating func makeNonce() -> [UInt8] {
        Array(random.bytes(16).hexString.utf8)
    }

    /// Mints a new nonce every half nonce lifetime; the previous one stays valid until its own end.
    mutating func rotateNonce(now: Instant) {
        guard now >= nonceIssued + configuration.nonceLifetime / 2 else { return }
        previousNonce = nonce
        previousNonceIssued = nonceIssued
        nonce = makeNonce()
        nonceIssued = now
    }

    /// Whether `value` is a nonce this server handed out and that has not expired.
    func nonceIsValid(_ value: ArraySlice<UInt8>, now: Instant) -> Bool {
        let lifetime = configuration.nonceLifetime
        return (now < nonceIssued + lifetime && value.elementsEqual(nonce))
            || (now < previousNonceIssued + lifetime && value.elementsEqual(previousNonce))
    }

    /// REALM and the current NONCE, for 401 and 438 answers.
    func realmAndNonce() -> [STUNAttribute] {
        [try? STUNAttribute(type: .realm, value: Array(configuration.realm.utf8)),
         try? STUNAttribute(type: .nonce, value: nonce)].compactMap { $0 }
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
        rotateNonce(now: now)
        guard m.hasMessageIntegrity else {
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(), key: nil)
            return nil
        }
        guard let username = (try? m.attribute(STUNUsername.self)) ?? nil, m.firstAttribute(.realm) != nil,
              let nonceAttribute = m.firstAttribute(.nonce)
        else {
            sendError(for: m, flow: flow, code: 400, reason: "Bad Request", key: nil)
            return nil
        }
        guard nonceIsValid(nonceAttribute.value, now: now) else {
            sendError(for: m, flow: flow, code: 438, reason: "Stale Nonce", extra: realmAndNonce(), key: nil)
            return nil
        }
        let nowUnix = unixTime(at: now)
        guard let expiry = TURNRESTCredential.expiry(ofUsername: username.value), nowUnix < 0 || expiry >= UInt64(nowUnix)
        else {
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(), key: nil)
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
            sendError(for: m, flow: flow, code: 401, reason: "Unauthenticated", extra: realmAndNonce(), key: nil)
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
