import Foundation
import RingletStore
import RingletWebPush

/// The JSON a push message carries to the web app's service worker (docs/push.md, "What is pushed"): one flat
/// object `{"v": 1, "type": …}` with the fields of its type, at most ``maximumSize`` bytes.
///
/// | type | fields |
/// |---|---|
/// | `ring` | `callId`, `sn`, `deviceName`, `kind` (audio, video), `expiresAt` (ms: the ring's end) |
/// | `ring_stop` | `callId`, `sn`, `deviceName`, `reason` (answer, reject, busy, cancel, timeout, peer_gone) |
/// | `notice` | `noticeId`, `sn`, `deviceName`, `text` |
/// | `authorization` | `sn`, `deviceName`, `status` (authorized, revoked) |
///
/// Every message has `sentAt` (ms, the server's clock when it was made).
public struct PushPayload: Codable, Hashable, Sendable {
    /// The largest encoded payload, bytes: 3 KB, below the 3993 bytes one 4096-byte record holds and the ~3 KB
    /// some push services (Firefox on Android) deliver whole.
    public static let maximumSize = 3072
    /// Names and texts are cut to these many bytes (on a character boundary, with "…").
    static let maximumNameBytes = 100
    static let maximumTextBytes = 1000

    public var v = 1
    public var type: String
    public var callId: String?
    public var sn: String
    public var deviceName: String
    public var kind: String?
    public var expiresAt: Int64?
    public var reason: String?
    public var noticeId: String?
    public var text: String?
    public var status: String?
    public var sentAt: Int64

    /// A ring.
    public static func ring(callID: String, sn: String, deviceName: String, kind: String, expiresAt: Int64,
                            sentAt: Int64) -> PushPayload {
        PushPayload(type: "ring", callId: callID, sn: sn, deviceName: deviceName, kind: kind, expiresAt: expiresAt,
                    sentAt: sentAt)
    }

    /// The ringing stopped (the notification is replaced: missed, answered elsewhere, declined, cancelled).
    public static func ringStop(callID: String, sn: String, deviceName: String, reason: String, sentAt: Int64)
        -> PushPayload {
        PushPayload(type: "ring_stop", callId: callID, sn: sn, deviceName: deviceName, reason: reason, sentAt: sentAt)
    }

    /// A notice from a device (`sendMsgNotice`).
    public static func notice(id: String, sn: String, deviceName: String, text: String, sentAt: Int64) -> PushPayload {
        PushPayload(type: "notice", sn: sn, deviceName: deviceName, noticeId: id, text: text, sentAt: sentAt)
    }

    /// An authorization change.
    public static func authorization(sn: String, deviceName: String, status: AuthorizationRecord.Status,
                                     sentAt: Int64) -> PushPayload {
        PushPayload(type: "authorization", sn: sn, deviceName: deviceName, status: status.rawValue, sentAt: sentAt)
    }

    /// The JSON bytes (sorted keys), names and texts cut so that the whole is at most ``maximumSize`` bytes.
    public func encoded() -> [UInt8] {
        var copy = self
        copy.deviceName = Self.cut(deviceName, to: Self.maximumNameBytes)
        copy.text = text.map { Self.cut($0, to: Self.maximumTextBytes) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = (try? encoder.encode(copy)).map { [UInt8]($0) } ?? []
        // Only pathological input (escaped control characters grow 6×) still exceeds it: cut harder.
        var limit = Self.maximumTextBytes
        while bytes.count > Self.maximumSize, limit > 0 {
            limit /= 2
            copy.text = text.map { Self.cut($0, to: limit) }
            copy.deviceName = Self.cut(deviceName, to: min(limit, Self.maximumNameBytes))
            bytes = (try? encoder.encode(copy)).map { [UInt8]($0) } ?? []
        }
        return bytes
    }

    /// `text` cut to at most `limit` UTF-8 bytes on a character boundary, "…" added when cut.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size + 3 <= limit else { break }
            out.append(character)
            used += size
        }
        return out + "…"
    }
}

/// One push message the router asks for: to every subscription of a user (on a channel), with its delivery
/// headers and a deadline after which no attempt starts.
public struct PushIntent: Hashable, Sendable {
    public var userID: String
    /// Only subscriptions made on this channel (a call's channel); nil for all of the user's.
    public var channel: AppChannel?
    public var payload: PushPayload
    public var urgency: PushUrgency
    public var ttlSeconds: Int
    /// RFC 8030 topic (the call id for ring and ring_stop), or nil.
    public var topic: String?
    /// When the router made it (Unix ms): the start of the ring-to-answer latency.
    public var createdAt: Int64
    /// No attempt starts at or after this (Unix ms): a ring's end, else a few minutes.
    public var deadline: Int64
    /// A subscription endpoint to leave out (the one whose service worker declined the call).
    public var excludedEndpoint: String?

    public init(userID: String, channel: AppChannel?, payload: PushPayload, urgency: PushUrgency, ttlSeconds: Int,
                topic: String?, createdAt: Int64, deadline: Int64, excludedEndpoint: String? = nil) {
        self.userID = userID
        self.channel = channel
        self.payload = payload
        self.urgency = urgency
        self.ttlSeconds = ttlSeconds
        self.topic = topic
        self.createdAt = createdAt
        self.deadline = deadline
        self.excludedEndpoint = excludedEndpoint
    }
}
