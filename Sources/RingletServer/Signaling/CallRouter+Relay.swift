import RingletSignaling
import RingletStore

extension CallRouter {
    /// Relays `sdp`, `candidate`, `command`, `av_state` to the other party of the call, and to no one else.
    mutating func relay(_ session: Session, callID: String, _ message: ServerMessage) {
        guard let call = calls[callID] else {
            refuse(session.id, nil, .unknownCall, "no call \(callID) in progress")
            return
        }
        if call.deviceSession == session.id {
            if let user = call.userSession {
                if call.awaitingOffer, case .sdp(let description) = message, description.sdpType == .offer {
                    calls[callID]?.awaitingOffer = false
                }
                emit(.send(user, message))
            } else {
                // Ringing device → user call: every ringing session prepares media; a session that opens later
                // gets what was sent so far.
                for target in call.ringing.sorted(by: { $0.rawValue < $1.rawValue }) {
                    emit(.send(target, message))
                }
                if call.state == .ringing, call.replay.count < CallRouter.maximumReplay {
                    calls[callID]?.replay.append(message)
                }
            }
        } else if call.userSession == session.id {
            // After a media restart, what the session sends for the device's earlier offer is dropped.
            if call.awaitingOffer, message.isMediaNegotiation { return }
            emit(.send(call.deviceSession, message))
        } else if call.ringing.contains(session.id), call.state == .ringing, call.ring?.earlyMedia == true,
                  message.isMediaNegotiation, call.previewSession == nil || call.previewSession == session.id {
            // Early video: the first ringing session to answer the device's offer takes the preview.
            calls[callID]?.previewSession = session.id
            emit(.send(call.deviceSession, message))
        } else if call.ringing.contains(session.id) {
            refuse(session.id, nil, .invalidState, "answer the call before sending \(message.type)")
        } else {
            refuse(session.id, nil, .unknownCall, "this session is not a party of \(callID)")
        }
    }

    /// `notice` from a device: stored once per authorized user and pushed to that user's open sessions.
    mutating func notice(_ session: Session, _ request: NoticeRequest, now: Int64) {
        guard case .device(let sn) = session.identity else {
            refuse(session.id, request.requestId, .notAllowed, "only devices send notices")
            return
        }
        guard request.text.utf8.count <= configuration.noticeTextBytes else {
            refuse(session.id, request.requestId, .refused,
                   "notice text longer than \(configuration.noticeTextBytes) bytes")
            return
        }
        guard noticeBuckets.take(sn, now: .milliseconds(now)) else {
            refuse(session.id, request.requestId, .rateLimited,
                   "more than \(configuration.noticeBurst) notices at once or \(configuration.noticesPerMinute) a minute")
            return
        }
        let store = self.store
        guard let authorizations = storeValue({ () throws(StoreError) in try store.authorizations(sn: sn) }) else {
            refuse(session.id, request.requestId, .internalError, "store unavailable")
            return
        }
        for authorization in authorizations where authorization.status == .authorized {
            let record = NoticeRecord(id: makeID("ntc_"), sn: sn, userID: authorization.userID, kind: request.kind,
                                      text: request.text, createdAt: now)
            guard storeValue({ () throws(StoreError) in try store.insertNotice(record) }) != nil else {
                refuse(session.id, request.requestId, .internalError, "store unavailable")
                return
            }
            let notice = Notice(id: record.id, sn: sn, kind: record.kind, text: record.text, createdAt: now)
            for target in (userSessions[authorization.userID] ?? []).sorted(by: { $0.rawValue < $1.rawValue })
            where sessions[target]?.appID == session.appID {
                emit(.send(target, .notice(notice)))
            }
            pushNotice(record, now: now)
        }
        acknowledge(session.id, request.requestId)
    }

    /// `authorized_users` from a device: the openIds of the users who authorized it.
    mutating func authorizedUsers(_ session: Session, _ request: RequestReference) {
        guard case .device(let sn) = session.identity else {
            refuse(session.id, request.requestId, .notAllowed, "only devices ask for their authorized users")
            return
        }
        let store = self.store
        let users = storeValue({ () throws(StoreError) -> [AuthorizedUser] in
            var users: [AuthorizedUser] = []
            for authorization in try store.authorizations(sn: sn) where authorization.status == .authorized {
                if let user = try store.user(id: authorization.userID) {
                    users.append(AuthorizedUser(openId: user.openID, updatedAt: authorization.updatedAt))
                }
            }
            return users
        })
        guard let users else {
            refuse(session.id, request.requestId, .internalError, "store unavailable")
            return
        }
        emit(.send(session.id, .authorizedUsers(AuthorizedUsers(requestId: request.requestId,
                                                                users: users.sorted { $0.openId < $1.openId }))))
    }
}

extension ServerMessage {
    /// `sdp` or `candidate`: what sets up a call's media.
    var isMediaNegotiation: Bool {
        switch self {
        case .sdp, .candidate: true
        default: false
        }
    }
}
