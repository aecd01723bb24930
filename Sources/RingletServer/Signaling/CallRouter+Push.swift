import RingletSignaling
import RingletStore

/// What `POST /v1/me/calls/{id}/reject` found.
public enum CallRejectOutcome: Hashable, Sendable {
    /// The call was ringing for this user and is now rejected (the device got `CALL_REJECT`).
    case rejected
    /// The call is this user's but was already answered.
    case answered
    /// No ringing or active call of this user has that id (it ended, or never was).
    case notRinging
}

// Web Push (docs/push.md): what the router hands the push service, a session that opens while its user's call
// rings, and the service worker's decline over HTTP.
extension CallRouter {
    /// How long a `ring_stop`, notice or authorization message may wait at the push service for an offline phone
    /// (the missed-call notice is still worth showing the next morning), seconds.
    static let pushTTLSeconds = 86_400
    /// How long the push service keeps retrying those messages, ms.
    static let pushRetryWindowMs: Int64 = 5 * 60 * 1000

    /// Hands `intent` to the push service, when push is on.
    mutating func emitPush(_ intent: PushIntent) {
        if configuration.pushEnabled { emit(.push(intent)) }
    }

    /// The ring, to every subscription of the callee on the call's channel: `Urgency: high`, `TTL` = what is
    /// left of the ring, `Topic` = the call (a later `ring_stop` replaces it where it still waits).
    mutating func pushRing(_ record: CallRecord, deviceName: String, until deadline: Int64, now: Int64) {
        let payload = PushPayload.ring(callID: record.id, sn: record.sn, deviceName: deviceName,
                                       kind: record.kind.rawValue, expiresAt: deadline, sentAt: now)
        let ttl = Int(max(1, (deadline - now + 999) / 1000))
        emitPush(PushIntent(userID: record.userID, channel: record.channel, payload: payload, urgency: .high,
                            ttlSeconds: ttl, topic: record.id, createdAt: now, deadline: deadline))
    }

    /// The ringing stopped (answered, rejected, busy, cancelled, timed out, the device gone): the same topic, so
    /// the service worker replaces the ringing notification (a missed call stays as a notice).
    mutating func pushRingStop(_ record: CallRecord, deviceName name: String, reason: CallEvent, now: Int64,
                               excluding endpoint: String? = nil) {
        let payload = PushPayload.ringStop(callID: record.id, sn: record.sn, deviceName: name, reason: reason.rawValue,
                                           sentAt: now)
        emitPush(PushIntent(userID: record.userID, channel: record.channel, payload: payload, urgency: .high,
                            ttlSeconds: Self.pushTTLSeconds, topic: record.id, createdAt: now,
                            deadline: now &+ Self.pushRetryWindowMs, excludedEndpoint: endpoint))
    }

    /// A device's notice, to every subscription of the user.
    mutating func pushNotice(_ notice: NoticeRecord, deviceName name: String, now: Int64) {
        emitPush(PushIntent(userID: notice.userID, channel: nil,
                            payload: .notice(id: notice.id, sn: notice.sn, deviceName: name, text: notice.text, sentAt: now),
                            urgency: .normal, ttlSeconds: Self.pushTTLSeconds, topic: nil, createdAt: now,
                            deadline: now &+ Self.pushRetryWindowMs))
    }

    /// An authorization change, to every subscription of the user.
    mutating func pushAuthorization(_ authorization: AuthorizationRecord, deviceName name: String, now: Int64) {
        emitPush(PushIntent(userID: authorization.userID, channel: nil,
                            payload: .authorization(sn: authorization.sn, deviceName: name, status: authorization.status,
                                                    sentAt: now),
                            urgency: .low, ttlSeconds: Self.pushTTLSeconds, topic: "auth-" + authorization.sn,
                            createdAt: now, deadline: now &+ Self.pushRetryWindowMs))
    }

    /// A user session opened while calls to that user ring (a page opened from the ringing notification): it
    /// rings too, with fresh ICE servers, and gets the device's `sdp` and `candidate`s sent so far, so that it
    /// can answer with media.
    mutating func joinRingingCalls(_ id: SessionID, userID: String, appID: String, channel: AppChannel, now: Int64) {
        for callID in calls.keys.sorted() {
            guard var call = calls[callID], call.state == .ringing, call.record.direction == .deviceToUser,
                  call.record.userID == userID, call.record.appID == appID, call.record.channel == channel,
                  let ring = call.ring
            else { continue }
            call.ringing.insert(ref(id))
            calls[callID] = call
            emit(.send(id, .ring(Ring(callId: ring.callId, sn: ring.sn, deviceName: ring.deviceName, kind: ring.kind,
                                      callerCamera: ring.callerCamera, calleeCamera: ring.calleeCamera,
                                      iceServers: iceServers(for: userID, now: now)))))
            for message in call.replay { emit(.send(id, message)) }
        }
    }

    /// `POST /v1/me/calls/{id}/reject`: the user declines a call that rings for them (from a notification, where
    /// no WebSocket is open). Ends it as `rejected` for everyone: the device gets `CALL_REJECT`, ringing pages
    /// `ring_stop reject`, the other subscriptions a `ring_stop` push (not `endpoint`, whose service worker
    /// declined).
    public mutating func rejectCall(userID: String, callID: String, endpoint: String?, now: Int64) -> CallRejectOutcome {
        guard let call = calls[callID], call.record.userID == userID, call.record.direction == .deviceToUser else {
            return .notRinging
        }
        guard call.state == .ringing else { return call.state == .starting ? .notRinging : .answered }
        endCall(callID, outcome: .rejected, event: .reject, now: now, except: nil, pushExcluding: endpoint)
        return .rejected
    }
}
