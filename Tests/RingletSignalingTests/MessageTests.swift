import Foundation
import RingletCore
import RingletSignaling
import Testing

@Suite("Signaling messages")
struct MessageTests {
    @Test("every client message survives decode → encode → decode byte-equal", arguments: MessageSamples.client)
    func clientRoundTrip(_ message: ClientMessage) throws {
        let bytes = message.encoded()
        let decoded = try ClientMessage(parsing: bytes)
        #expect(decoded == message)
        #expect(decoded.encoded() == bytes)
    }

    @Test("every server message survives decode → encode → decode byte-equal", arguments: MessageSamples.server)
    func serverRoundTrip(_ message: ServerMessage) throws {
        let bytes = message.encoded()
        let decoded = try ServerMessage(parsing: bytes)
        #expect(decoded == message)
        #expect(decoded.encoded() == bytes)
    }

    @Test("every message carries v 1 and its type")
    func envelope() throws {
        for message in MessageSamples.client {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(message.encoded())) as? [String: Any])
            #expect(object["v"] as? Int == 1)
            #expect(object["type"] as? String == message.type)
        }
        for message in MessageSamples.server {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(message.encoded())) as? [String: Any])
            #expect(object["v"] as? Int == 1)
            #expect(object["type"] as? String == message.type)
        }
    }

    @Test("a call message encodes to the documented golden JSON")
    func goldenCall() {
        let message = ClientMessage.call(CallRequest(requestId: "r1", openId: "oid_1", kind: .video, channel: .release,
                                                     callerCamera: true, calleeCamera: false))
        #expect(message.text == #"{"calleeCamera":false,"callerCamera":true,"channel":"release","kind":"video","openId":"oid_1","requestId":"r1","type":"call","v":1}"#)
    }

    @Test("a call_event message encodes to the documented golden JSON")
    func goldenCallEvent() {
        let message = ServerMessage.callEvent(CallEventMessage(callId: "call_1", event: .hangUp))
        #expect(message.text == #"{"callId":"call_1","event":"hang_up","type":"call_event","v":1}"#)
    }

    @Test("a browser-written sdp message in any key order decodes")
    func goldenSDPFromBrowser() throws {
        let text = #"{"type":"sdp","v":1,"sdp":"v=0\r\n","sdpType":"answer","callId":"call_9"}"#
        #expect(try ClientMessage(parsing: text) == .sdp(SessionDescription(callId: "call_9", sdpType: .answer, sdp: "v=0\r\n")))
    }

    @Test("an error with a seed code encodes seedCode as an integer")
    func goldenError() {
        let message = ServerMessage.error(ErrorMessage(requestId: "r", code: .refused, seedCode: .notAuthorized, message: "no"))
        #expect(message.text == #"{"code":"refused","message":"no","requestId":"r","seedCode":-9,"type":"error","v":1}"#)
    }

    @Test("unknown fields are ignored")
    func unknownFields() throws {
        let text = #"{"v":1,"type":"hang_up","callId":"c","future":{"x":[1,2]}}"#
        #expect(try ClientMessage(parsing: text) == .hangUp(CallAction(callId: "c")))
    }

    @Test("an unknown type is a typed unknownType error")
    func unknownType() {
        #expect(throws: SignalingError.self) { try ClientMessage(parsing: #"{"v":1,"type":"teleport"}"#) }
        do {
            _ = try ClientMessage(parsing: #"{"v":1,"type":"teleport"}"#)
        } catch {
            #expect(error.code == .unknownType)
            #expect(error.message.contains("teleport"))
        }
        do {
            _ = try ServerMessage(parsing: #"{"v":1,"type":"call"}"#)
        } catch {
            #expect(error.code == .unknownType)
        }
    }

    @Test("a missing or other version is unsupportedVersion", arguments: [
        #"{"type":"ping"}"#, #"{"v":2,"type":"ping"}"#, #"{"v":0,"type":"ping"}"#,
    ])
    func version(_ text: String) {
        do {
            _ = try ClientMessage(parsing: text)
            Issue.record("decoded \(text)")
        } catch {
            #expect(error.code == .unsupportedVersion)
        }
    }

    @Test("a missing field is malformed and names the field")
    func missingField() {
        do {
            _ = try ClientMessage(parsing: #"{"v":1,"type":"call","requestId":"r","kind":"audio","channel":"release","callerCamera":true,"calleeCamera":true}"#)
            Issue.record("decoded")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.field == "openId")
        }
    }

    @Test("a wrong value is malformed", arguments: [
        #"{"v":1,"type":"join","callId":"c","answer":"maybe"}"#,
        #"{"v":1,"type":"av_state","callId":"c","camera":"yes","microphone":true}"#,
        #"{"v":1,"type":"call_device","requestId":"r","sn":"S","kind":"hologram"}"#,
        #"[1,2,3]"#, #"not json"#, #""#, #"{"v":1}"#, #"{"v":"1","type":"ping"}"#, #"{"v":1,"type":7}"#,
    ])
    func malformed(_ text: String) {
        do {
            _ = try ClientMessage(parsing: text)
            Issue.record("decoded \(text)")
        } catch {
            #expect(error.code == .malformed || error.code == .unsupportedVersion)
        }
    }

    @Test("a message above 64 KiB is tooLarge; one at the limit decodes")
    func oversize() throws {
        let head = #"{"v":1,"type":"command","callId":"c","name":"n","data":""#
        let tail = #""}"#
        let fill = SignalingLimits.maximumMessageSize - head.utf8.count - tail.utf8.count
        let atLimit = head + String(repeating: "a", count: fill) + tail
        #expect(atLimit.utf8.count == SignalingLimits.maximumMessageSize)
        #expect(throws: Never.self) { try ClientMessage(parsing: atLimit) }
        let over = head + String(repeating: "a", count: fill + 1) + tail
        do {
            _ = try ClientMessage(parsing: over)
            Issue.record("decoded an oversized message")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    @Test("20 000 seeded random inputs parse or throw a typed error")
    func randomGarbage() {
        var rng = SeededRandom(seed: 0x5167)
        var parsed = 0
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 96)
            let bytes = rng.bytes(length)
            if (try? ClientMessage(parsing: bytes)) != nil { parsed += 1 }
            if (try? ServerMessage(parsing: bytes)) != nil { parsed += 1 }
        }
        #expect(parsed == 0)
    }

    @Test("mutations of valid messages parse or throw, and what parses round-trips")
    func mutations() {
        var rng = SeededRandom(seed: 77)
        let samples = MessageSamples.client.map { $0.encoded() } + MessageSamples.server.map { $0.encoded() }
        var survivors = 0
        for sample in samples {
            for _ in 0..<300 {
                var bytes = sample
                let edits = 1 + Int(rng.next() % 3)
                for _ in 0..<edits where !bytes.isEmpty {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    }
                }
                if let message = try? ClientMessage(parsing: bytes) {
                    survivors += 1
                    #expect((try? ClientMessage(parsing: message.encoded())) == message)
                }
                if let message = try? ServerMessage(parsing: bytes) {
                    survivors += 1
                    #expect((try? ServerMessage(parsing: message.encoded())) == message)
                }
            }
        }
        #expect(survivors > 0)
    }

    @Test("requestId is exposed for every request that carries one")
    func requestIds() {
        #expect(ClientMessage.call(CallRequest(requestId: "x", openId: "o", kind: .audio, channel: .trial,
                                               callerCamera: false, calleeCamera: false)).requestId == "x")
        #expect(ClientMessage.authorizedUsers(RequestReference(requestId: "q")).requestId == "q")
        #expect(ClientMessage.hangUp(CallAction(callId: "c")).requestId == nil)
    }

    @Test("seed codes keep the seed's integer values")
    func seedCodes() {
        let table: [(SeedCode, Int32)] = [
            (.ok, 0), (.openIdError, -7), (.notAuthorized, -9), (.releaseNotApproved, -12), (.quotaExhausted, -15),
            (.modelMismatch, -17), (.openIdOtherApp, -19), (.openIdInvalid, -20), (.busy, -303), (.failed, -308),
            (.notInitialized, -310), (.notRegistered, -1001), (.ticketInvalid, -10008), (.snTooLong, 9_800_001),
            (.snBadCharacters, 9_800_002),
        ]
        for (code, value) in table { #expect(code.rawValue == value) }
    }
}
