import RingletSignaling
import RingletStore

extension CallRouter {
    /// Relays `sdp`, `candidate`, `command`, `av_state` to the other party of the call, and to no one else.
    mutating func relay(_ party: Party, callID: String, _ message: ServerMessage) {
        guard let call = calls[callID], call.state != .starting else {
            refuse(party, nil, .unknownCall, "no call \(callID) in progress")
            return
        }
        if call.device == party.ref {
            if let user = call.user {
                if call.awaitingOffer, case .sdp(let description) = message, description.sdpType == .offer {
                    calls[callID]?.awaitingOffer = false
                }
                deliver(user, message)
            } else {
                // Ringing device → user call: every ringing session prepares media; a session that opens later
                // gets what was sent so far.
                for target in call.ringing.sorted() { deliver(target, message) }
                if call.state == .ringing, call.replay.count < CallRouter.maximumReplay {
                    calls[callID]?.replay.append(message)
                }
            }
        } else if call.user == party.ref {
            // After a media restart, what the session sends for the device's earlier offer is dropped.
            if call.awaitingOffer, message.isMediaNegotiation { return }
            deliver(call.device, message)
        } else if case .answering(let answerer, _, _) = call.state, answerer == party.ref {
            // Its answer is being written: the device gets this after the answer, if the answer wins.
            if call.held.count < CallRouter.maximumReplay { calls[callID]?.held.append(message) }
        } else if call.ringing.contains(party.ref), call.state == .ringing, call.ring?.earlyMedia == true,
                  message.isMediaNegotiation, call.previewSession == nil || call.previewSession == party.ref {
            // Early video: the first ringing session to answer the device's offer takes the preview.
            calls[callID]?.previewSession = party.ref
            deliver(call.device, message)
        } else if call.ringing.contains(party.ref) {
            refuse(party, nil, .invalidState, "answer the call before sending \(message.type)")
        } else {
            refuse(party, nil, .unknownCall, "this session is not a party of \(callID)")
        }
    }

    /// `notice` from a device: after the limits, the device's users are read; the notices are then stored, one
    /// per authorized user, and sent to that user's open sessions (``noticesStored(_:_:_:remote:_:now:)``).
    mutating func notice(_ session: Session, _ request: NoticeRequest, now: Int64) {
        guard case .device(let sn) = session.identity else {
            refuse(party(session), request.requestId, .notAllowed, "only devices send notices")
            return
        }
        guard request.text.utf8.count <= configuration.noticeTextBytes else {
            refuse(party(session), request.requestId, .refused,
                   "notice text longer than \(configuration.noticeTextBytes) bytes")
            return
        }
        guard noticeBuckets.take(sn, now: .milliseconds(now)) else {
            refuse(party(session), request.requestId, .rateLimited,
                   "more than \(configuration.noticeBurst) notices at once or \(configuration.noticesPerMinute) a minute")
            return
        }
        let id = nextEffectID()
        pendingLoads[id] = .notice(session.id, request)
        emit(.load(.authorizedUsers(id, sn: sn, presence: configuration.clustered)))
    }

    /// The device's users are known: one notice each, written before anyone is told.
    mutating func notice(_ session: Session, _ request: NoticeRequest, users: [AuthorizedUserRecord],
                         remote: [RemoteSession], now: Int64) {
        guard case .device(let sn) = session.identity else { return }
        let records = users.map { user in
            NoticeRecord(id: makeID("ntc_"), sn: sn, userID: user.userID, kind: request.kind, text: request.text,
                         createdAt: now)
        }
        guard !records.isEmpty else {
            acknowledge(ref(session.id), request.requestId)
            return
        }
        let id = nextEffectID()
        pendingWrites[id] = .notices(session.id, requestId: request.requestId, records, remote: remote)
        emit(.persist(Persist(id: id, write: .notices(records))))
    }

    /// The notices are stored: each goes to its user's open sessions of the device's app, here and elsewhere,
    /// and by push; the device gets its ack.
    mutating func noticesStored(_ device: SessionID, _ requestId: String?, _ records: [NoticeRecord],
                                remote: [RemoteSession], _ result: CallWriteResult, now: Int64) {
        guard let session = sessions[device] else { return }
        guard result == .done else {
            if case .failed(let error) = result { storeFailed(error) }
            refuse(party(session), requestId, .internalError, "store unavailable")
            return
        }
        let deviceName = session.profile.deviceName ?? (records.first?.sn ?? "")
        for record in records {
            let notice = Notice(id: record.id, sn: record.sn, kind: record.kind, text: record.text, createdAt: now)
            for target in (userSessions[record.userID] ?? []).sorted(by: { $0.rawValue < $1.rawValue })
            where sessions[target]?.profile.appID == session.profile.appID {
                emit(.send(target, .notice(notice)))
            }
            for other in remote {
                guard case .user(let userID, let appID, _) = other.identity, userID == record.userID,
                      appID == session.profile.appID else { continue }
                deliver(other.ref, .notice(notice))
            }
            pushNotice(record, deviceName: deviceName, now: now)
        }
        acknowledge(ref(device), requestId)
    }

    /// `authorized_users` from a device: the openIds of the users who authorized it (read from the store).
    mutating func authorizedUsers(_ session: Session, _ request: RequestReference) {
        guard case .device(let sn) = session.identity else {
            refuse(party(session), request.requestId, .notAllowed, "only devices ask for their authorized users")
            return
        }
        let id = nextEffectID()
        pendingLoads[id] = .authorizedUsers(session.id, request)
        emit(.load(.authorizedUsers(id, sn: sn, presence: false)))
    }

    // MARK: Results

    /// A read the router asked for is back (in any order, possibly after its session closed).
    public mutating func loaded(_ id: EffectID, _ result: LoadResult, now: Int64) {
        guard let pending = pendingLoads.removeValue(forKey: id) else { return }
        switch pending {
        case .placeCall(let sessionID, let request):
            guard let session = sessions[sessionID] else { return }
            guard case .callContext(let context, let remote) = result else {
                return callUnchecked(sessionID, request.requestId, result)
            }
            placeCall(session, request, context: context, remote: remote, now: now)
        case .callDevice(let sessionID, let request):
            guard let session = sessions[sessionID] else { return }
            guard case .callContext(let context, let remote) = result else {
                return callUnchecked(sessionID, request.requestId, result)
            }
            callDevice(session, request, context: context, remote: remote, now: now)
        case .notice(let sessionID, let request):
            guard let session = sessions[sessionID] else { return }
            switch result {
            case .authorizedUsers(let users, let remote):
                notice(session, request, users: users, remote: remote, now: now)
            default:
                if case .failed(let error) = result { storeFailed(error) }
                refuse(party(session), request.requestId, .internalError, "store unavailable")
            }
        case .authorizedUsers(let sessionID, let request):
            guard let session = sessions[sessionID] else { return }
            switch result {
            case .authorizedUsers(let users, _):
                let list = users.map { AuthorizedUser(openId: $0.openID, updatedAt: $0.updatedAt) }
                emit(.send(sessionID, .authorizedUsers(AuthorizedUsers(requestId: request.requestId,
                                                                       users: list.sorted { $0.openId < $1.openId }))))
            default:
                if case .failed(let error) = result { storeFailed(error) }
                refuse(party(session), request.requestId, .internalError, "store unavailable")
            }
        }
    }

    /// A call whose context could not be read: its caller gets `call_result` failed.
    mutating func callUnchecked(_ sessionID: SessionID, _ requestId: String, _ result: LoadResult) {
        if case .failed(let error) = result { storeFailed(error) }
        emit(.send(sessionID, .callResult(CallResult(requestId: requestId, code: .failed, message: "store unavailable"))))
    }

    /// A write the router waits for is durable (or refused, or failed).
    public mutating func persisted(_ id: EffectID, _ result: CallWriteResult, now: Int64) {
        guard let pending = pendingWrites.removeValue(forKey: id) else { return }
        switch pending {
        case .start(let callID):
            started(callID, result, now: now)
        case .answer(let callID):
            answered(callID, result, now: now)
        case .notices(let device, let requestId, let records, let remote):
            noticesStored(device, requestId, records, remote: remote, result, now: now)
        }
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
