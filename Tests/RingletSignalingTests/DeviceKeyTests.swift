import RingletCore
import RingletSignaling
import Testing

@Suite("Device keys")
struct DeviceKeyTests {
    @Test("a generated key has a 65-byte uncompressed public point")
    func generate() throws {
        let key = try DeviceKey.generate()
        #expect(key.publicKey.count == 65)
        #expect(key.publicKey.first == 0x04)
        #expect(DeviceKey.isValidPublicKey(key.publicKey))
    }

    @Test("two generated keys differ")
    func distinct() throws {
        #expect(try DeviceKey.generate().publicKey != DeviceKey.generate().publicKey)
    }

    @Test("a signed challenge verifies with the key's public key")
    func signVerify() throws {
        let key = try DeviceKey.generate()
        var rng = SeededRandom(seed: 1)
        let nonce = rng.bytes(32)
        let signature = try key.signChallenge(nonce: nonce)
        #expect(DeviceKey.verifyChallenge(signature: signature, nonce: nonce, publicKey: key.publicKey))
    }

    @Test("the signature covers the versioned prefix and the nonce bytes")
    func prefix() throws {
        let key = try DeviceKey.generate()
        let nonce: [UInt8] = [1, 2, 3]
        let signature = try key.signChallenge(nonce: nonce)
        #expect(DeviceKey.verify(signature: signature, message: Array("ringlet-device-auth-v1:".utf8) + nonce,
                                 publicKey: key.publicKey))
        #expect(!DeviceKey.verify(signature: signature, message: nonce, publicKey: key.publicKey))
    }

    @Test("a signature does not verify under another key")
    func wrongKey() throws {
        let key = try DeviceKey.generate()
        let other = try DeviceKey.generate()
        let signature = try key.signChallenge(nonce: [9, 9])
        #expect(!DeviceKey.verifyChallenge(signature: signature, nonce: [9, 9], publicKey: other.publicKey))
    }

    @Test("a signature does not verify for another nonce")
    func wrongNonce() throws {
        let key = try DeviceKey.generate()
        let signature = try key.signChallenge(nonce: [1])
        #expect(!DeviceKey.verifyChallenge(signature: signature, nonce: [2], publicKey: key.publicKey))
    }

    @Test("the private key reloads from its PKCS#8 DER and signs for the same public key")
    func reload() throws {
        let key = try DeviceKey.generate()
        let again = try DeviceKey(privateKeyDER: key.privateKeyDER)
        #expect(again.publicKey == key.publicKey)
        let signature = try again.signChallenge(nonce: [7])
        #expect(DeviceKey.verifyChallenge(signature: signature, nonce: [7], publicKey: key.publicKey))
    }

    @Test("garbage private keys throw a crypto error", arguments: [[], [0x30], [0x30, 0x03, 0x02, 0x01, 0x00], Array(repeating: UInt8(0xAB), count: 138)])
    func garbagePrivateKey(_ bytes: [UInt8]) {
        do {
            _ = try DeviceKey(privateKeyDER: bytes)
            Issue.record("accepted garbage")
        } catch {
            #expect(error.code == .crypto)
        }
    }

    @Test("garbage keys and signatures verify false and never trap")
    func garbage() throws {
        let key = try DeviceKey.generate()
        let signature = try key.signChallenge(nonce: [1])
        var rng = SeededRandom(seed: 42)
        for _ in 0..<2_000 {
            let randomKey = rng.bytes(Int(rng.next() % 3) == 0 ? 65 : Int(rng.next() % 100))
            #expect(!DeviceKey.verifyChallenge(signature: signature, nonce: [1], publicKey: randomKey))
            let randomSignature = rng.bytes(Int(rng.next() % 80))
            #expect(!DeviceKey.verifyChallenge(signature: randomSignature, nonce: [1], publicKey: key.publicKey))
            var flipped = signature
            let at = Int(rng.next() % UInt64(flipped.count))
            flipped[at] ^= UInt8(1 + rng.next() % 255)
            #expect(!DeviceKey.verifyChallenge(signature: flipped, nonce: [1], publicKey: key.publicKey))
        }
        // An off-curve point with the right shape.
        var offCurve = key.publicKey
        offCurve[64] ^= 1
        #expect(!DeviceKey.isValidPublicKey(offCurve))
        #expect(!DeviceKey.verifyChallenge(signature: signature, nonce: [1], publicKey: offCurve))
        // A compressed point is not accepted.
        #expect(!DeviceKey.isValidPublicKey([0x02] + key.publicKey[1...32]))
    }
}

@Suite("Base64url")
struct Base64URLTests {
    @Test("RFC 4648 §10 vectors encode without padding and decode back", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("the URL-safe alphabet is used")
    func alphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test("padding, standard-alphabet characters, bad lengths and non-zero tail bits are refused",
          arguments: ["Zg==", "+/8", "Z", "Zh", "Zm9vY", "a b"])
    func refused(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("random bytes round-trip")
    func random() {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<500 {
            let bytes = rng.bytes(Int(rng.next() % 70))
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
