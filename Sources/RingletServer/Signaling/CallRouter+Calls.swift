import RingletSignaling
import RingletStore

extension CallRouter {
    /// `call` from a device: the checks of DESIGN.md "Calls" step 1, in the seed's order, then ring.
    mutating func placeCall(_ session: Session, _ request: CallRequest, now: Int64) {
        guard case .device(let sn) = session.identity else {
            refuse(session.id, request.requestId, .notAllowed, "only devices place calls; users send call_device")
            return
        }
        let requestId = request.requestId
        func fail(_ router: inout CallRouter, _ code: SeedCode, _ message: String) {
            router.emit(.send(session.id, .callResult(CallResult(requestId: requestId, code: code, message: message))))
        }
        let store = self.store
        guard let found = storeValue({ () throws(StoreError) in try store.device(sn: sn) }) else {
            return fail(&self, .failed, "store unavailable")
        }
        guard let device = found, device.publicKey != nil else {
            return fail(&self, .notRegistered, "device \(sn) is not registered")
        }
        guard let foundModel = storeValue({ () throws(StoreError) in try store.model(id: device.modelID) }) else {
            return fail(&self, .failed, "store unavailable")
        }
        guard let model = foundModel, model.appID == device.appID else {
            return fail(&self, .modelMismatch, "the device's model is not under the device's app")
        }
        guard CallRouter.isWellFormedOpenID(request.openId) else {
            return fail(&self, .openIdInvalid, "openId is not oid_ followed by 24 hex digits")
        }
        guard let callee = storeValue({ () throws(StoreError) in try store.user(appID: device.appID, openID: request.openId) })
        else { return fail(&self, .failed, "store unavailable") }
        guard let user = callee else {
            let elsewhere = storeValue({ () throws(StoreError) -> Bool in
                for app in try store.apps() where app.id != device.appID {
                    if try store.user(appID: app.id, openID: request.openId) != nil { return true }
                }
                return false
            }) ?? false
            if elsewhere { return fail(&self, .openIdOtherApp, "openId belongs to another app") }
            return fail(&self, .openIdError, "openId is unknown")
        }
        guard let app = storeValue({ () throws(StoreError) in try store.app(id: device.appID) }) ?? nil else {
            return fail(&self, .failed, "the device's app is missing")
        }
        let channel = AppChannel(rawValue: request.channel.rawValue) ?? .release
        if channel == .release, !app.releaseApproved {
            return fail(&self, .releaseNotApproved, "the app is not approved for release calls")
        }
        guard let authorization = storeValue({ () throws(StoreError) in try store.authorization(userID: user.id, sn: sn) })
        else { return fail(&self, .failed, "store unavailable") }
        guard authorization?.status == .authorized else {
            return fail(&self, .notAuthorized, "the user has not authorized this device")
        }
        if isInCall(device: sn) || isInCall(user: user.id) {
            return fail(&self, .busy, "the device or the callee is in a call")
        }
        let targets = (userSessions[user.id] ?? []).filter { id in
            guard case .user(_, let appID, let sessionChannel) = sessions[id]?.identity else { return false }
            return appID == device.appID && sessionChannel == channel
        }
        let subscribed = hasPushSubscription(userID: user.id, appID: device.appID, channel: channel)
        guard !targets.isEmpty || subscribed else {
            return fail(&self, .failed,
                        "the callee has no open session and no push subscription on the \(channel.rawValue) channel")
        }
        guard let consumed = storeValue({ () throws(StoreError) in try store.consumeCallQuota(appID: app.id) }) else {
            return fail(&self, .failed, "store unavailable")
        }
        guard consumed else { return fail(&self, .quotaExhausted, "the app's call quota is used up") }

        let record = CallRecord(id: makeID("call_"), appID: app.id, sn: sn, userID: user.id, direction: .deviceToUser,
                                kind: request.kind == .video ? .video : .audio, channel: channel, outcome: .ringing,
                                startedAt: now)
        guard storeValue({ () throws(StoreError) in try store.insertCall(record) }) != nil else {
            return fail(&self, .failed, "store unavailable")
        }
        let ring = Ring(callId: record.id, sn: sn, deviceName: device.name, kind: request.kind,
                        callerCamera: request.callerCamera, calleeCamera: request.calleeCamera,
                        iceServers: iceServers(for: user.id, now: now),
                        earlyMedia: request.earlyMedia == true && request.kind == .video ? true : nil)
        let ringDeadline = now &+ configuration.ringTimeoutMs
        calls[record.id] = ActiveCall(record: record, state: .ringing, deviceSession: session.id, ringing: targets,
                                      userSession: nil, ringDeadline: ringDeadline, openID: user.openID,
                                      pushed: subscribed, ring: ring)
        for target in targets.sorted(by: { $0.rawValue < $1.rawValue }) {
            emit(.send(target, .ring(ring)))
        }
        if subscribed { pushRing(record, deviceName: device.name, until: ringDeadline, now: now) }
        emit(.send(session.id, .callResult(CallResult(requestId: requestId, code: .ok, callId: record.id,
                                                      iceServers: iceServers(for: sn, now: now)))))
        emit(.event(.callStarted(record)))
        logger.info("call ringing", metadata: ["call": "\(record.id)", "sessions": "\(targets.count)",
                                              "push": "\(subscribed)"])
    }

    /// `call_device` from a user: checks, then `join_notify` to the device.
    mutating func callDevice(_ session: Session, _ request: CallDeviceRequest, now: Int64) {
        guard case .user(let userID, let appID, let channel) = session.identity, let openID = session.openID else {
            refuse(session.id, request.requestId, .notAllowed, "only users send call_device")
            return
        }
        let requestId = request.requestId
        func fail(_ router: inout CallRouter, _ code: SeedCode, _ message: String) {
            router.emit(.send(session.id, .callResult(CallResult(requestId: requestId, code: code, message: message))))
        }
        let store = self.store
        let sn = request.sn
        guard let found = storeValue({ () throws(StoreError) in try store.device(sn: sn) }) else {
            return fail(&self, .failed, "store unavailable")
        }
        guard let device = found, device.publicKey != nil else {
            return fail(&self, .notRegistered, "device \(sn) is not registered")
        }
        guard device.appID == appID else {
            return fail(&self, .openIdOtherApp, "the device belongs to another app")
        }
        guard let model = storeValue({ () throws(StoreError) in try store.model(id: device.modelID) }) ?? nil,
              model.appID == device.appID else {
            return fail(&self, .modelMismatch, "the device's model is not under the device's app")
        }
        guard let app = storeValue({ () throws(StoreError) in try store.app(id: appID) }) ?? nil else {
            return fail(&self, .failed, "the app is missing")
        }
        if channel == .release, !app.releaseApproved {
            return fail(&self, .releaseNotApproved, "the app is not approved for release calls")
        }
        guard let authorization = storeValue({ () throws(StoreError) in try store.authorization(userID: userID, sn: sn) })
        else { return fail(&self, .failed, "store unavailable") }
        guard authorization?.status == .authorized else {
            return fail(&self, .notAuthorized, "you have not authorized this device")
        }
        guard let deviceSession = deviceSessions[sn] else {
            // The attempt is kept in the history (outcome `failed`): the person sees that the call never rang.
            let attempt = CallRecord(id: makeID("call_"), appID: appID, sn: sn, userID: userID,
                                     direction: .userToDevice, kind: request.kind == .video ? .video : .audio,
                                     channel: channel, outcome: .failed, startedAt: now, endedAt: now)
            _ = storeValue({ () throws(StoreError) in try store.insertCall(attempt) })
            emit(.event(.callEnded(attempt)))
            return fail(&self, .notRegistered, "device \(sn) is offline")
        }
        if isInCall(device: sn) || isInCall(user: userID) {
            return fail(&self, .busy, "the device or you are in a call")
        }
        guard let consumed = storeValue({ () throws(StoreError) in try store.consumeCallQuota(appID: app.id) }) else {
            return fail(&self, .failed, "store unavailable")
        }
        guard consumed else { return fail(&self, .quotaExhausted, "the app's call quota is used up") }

        let record = CallRecord(id: makeID("call_"), appID: appID, sn: sn, userID: userID, direction: .userToDevice,
                                kind: request.kind == .video ? .video : .audio, channel: channel, outcome: .ringing,
                                startedAt: now)
        guard storeValue({ () throws(StoreError) in try store.insertCall(record) }) != nil else {
            return fail(&self, .failed, "store unavailable")
        }
        calls[record.id] = ActiveCall(record: record, state: .ringing, deviceSession: deviceSession, ringing: [],
                                      userSession: session.id, ringDeadline: now &+ configuration.ringTimeoutMs,
                                      openID: openID)
        emit(.send(deviceSession, .joinNotify(JoinNotify(callId: record.id, openId: openID, kind: request.kind,
                                                         iceServers: iceServers(for: sn, now: now)))))
        emit(.send(session.id, .callResult(CallResult(requestId: requestId, code: .ok, callId: record.id,
                                                      iceServers: iceServers(for: userID, now: now)))))
        emit(.event(.callStarted(record)))
    }

    /// `answer` from a ringing user session: the first answer wins, the other sessions get `ring_stop`.
    mutating func answer(_ session: Session, _ action: CallAction, now: Int64) {
        guard var call = calls[action.callId], call.record.direction == .deviceToUser,
              call.ringing.contains(session.id) || call.userSession == session.id else {
            refuse(session.id, action.requestId, .unknownCall, "no call \(action.callId) rings on this session")
            return
        }
        guard call.state == .ringing else {
            refuse(session.id, action.requestId, .invalidState, "the call was already answered")
            return
        }
        call.state = .active
        call.userSession = session.id
        call.ringDeadline = nil
        // Early video went to another session (or one that is gone): the device offers again for this one.
        let restartMedia = call.previewSession != nil && call.previewSession != session.id
        call.awaitingOffer = restartMedia
        call.previewSession = nil
        call.record.outcome = .active
        call.record.answeredAt = now
        let others = call.ringing.subtracting([session.id])
        call.ringing = []
        call.ring = nil
        call.replay = []
        calls[action.callId] = call
        if call.pushed { pushRingStop(call.record, reason: .answer, now: now) }
        let record = call.record
        let store = self.store
        _ = storeValue({ () throws(StoreError) in try store.updateCall(record) })
        emit(.send(call.deviceSession, .callEvent(CallEventMessage(callId: action.callId, event: .answer,
                                                                   restartMedia: restartMedia ? true : nil))))
        for other in others.sorted(by: { $0.rawValue < $1.rawValue }) {
            emit(.send(other, .ringStop(RingStop(callId: action.callId, reason: .answer))))
        }
        if restartMedia {
            // The answering session drops what it prepared for the device's earlier offer and waits for the new
            // one (before the acknowledgement, so that it never answers the old offer).
            emit(.send(session.id, .callEvent(CallEventMessage(callId: action.callId, event: .answer, restartMedia: true))))
        }
        acknowledge(session.id, action.requestId)
    }

    /// `reject` / `busy` from a ringing user session: the call ends for everyone.
    mutating func decline(_ session: Session, _ action: CallAction, outcome: CallRecord.Outcome, event: CallEvent,
                          now: Int64) {
        guard let call = calls[action.callId], call.ringing.contains(session.id) else {
            refuse(session.id, action.requestId, .unknownCall, "no call \(action.callId) rings on this session")
            return
        }
        guard call.state == .ringing else {
            refuse(session.id, action.requestId, .invalidState, "the call was already answered")
            return
        }
        endCall(action.callId, outcome: outcome, event: event, now: now, except: session.id)
        acknowledge(session.id, action.requestId)
    }

    /// `cancel` / `hang_up` from a party: before the answer the caller cancels (the callee rejects); after it,
    /// either party hangs up.
    mutating func hangUp(_ session: Session, _ action: CallAction, now: Int64) {
        guard let call = calls[action.callId] else {
            refuse(session.id, action.requestId, .unknownCall, "no call \(action.callId) in progress")
            return
        }
        let isDevice = call.deviceSession == session.id
        let isUser = call.userSession == session.id
        guard isDevice || isUser || call.ringing.contains(session.id) else {
            refuse(session.id, action.requestId, .unknownCall, "this session is not a party of \(action.callId)")
            return
        }
        switch call.state {
        case .active where action.reason == .mediaLost:
            // The party's media path died: a dropped call, told to the other side as a network loss.
            endCall(action.callId, outcome: .peerGone, event: .peerGone, now: now, except: session.id)
        case .active:
            endCall(action.callId, outcome: .completed, event: .hangUp, now: now, except: session.id)
        case .ringing:
            let isCaller = call.record.direction == .deviceToUser ? isDevice : isUser
            if isCaller {
                endCall(action.callId, outcome: .cancelled, event: .cancel, now: now, except: session.id)
            } else {
                endCall(action.callId, outcome: .rejected, event: .reject, now: now, except: session.id)
            }
        }
        acknowledge(session.id, action.requestId)
    }

    /// `join` from the device of a user → device call.
    mutating func join(_ session: Session, _ request: JoinRequest, now: Int64) {
        guard var call = calls[request.callId], call.deviceSession == session.id,
              call.record.direction == .userToDevice else {
            refuse(session.id, request.requestId, .unknownCall, "no user call \(request.callId) for this device")
            return
        }
        guard call.state == .ringing else {
            refuse(session.id, request.requestId, .invalidState, "the call was already joined")
            return
        }
        switch request.answer {
        case .accept:
            call.state = .active
            call.ringDeadline = nil
            call.record.outcome = .active
            call.record.answeredAt = now
            calls[request.callId] = call
            let record = call.record
            let store = self.store
        _ = storeValue({ () throws(StoreError) in try store.updateCall(record) })
            if let user = call.userSession {
                emit(.send(user, .callEvent(CallEventMessage(callId: request.callId, event: .answer))))
            }
        case .busy:
            endCall(request.callId, outcome: .busy, event: .busy, now: now, except: session.id)
        case .refuse:
            endCall(request.callId, outcome: .rejected, event: .reject, now: now, except: session.id)
        }
        acknowledge(session.id, request.requestId)
    }

    /// Ends a call: stores the outcome and end time, tells every other party and ringing session (`call_event`
    /// to parties, `ring_stop` to ringing sessions), reports `callEnded`.
    mutating func endCall(_ callID: String, outcome: CallRecord.Outcome, event: CallEvent, now: Int64,
                          except: SessionID?, pushExcluding endpoint: String? = nil) {
        guard var call = calls.removeValue(forKey: callID) else { return }
        if call.pushed, call.state == .ringing {
            pushRingStop(call.record, reason: event, now: now, excluding: endpoint)
        }
        call.record.outcome = outcome
        call.record.endedAt = now
        let record = call.record
        let store = self.store
        _ = storeValue({ () throws(StoreError) in try store.updateCall(record) })
        if call.deviceSession != except {
            emit(.send(call.deviceSession, .callEvent(CallEventMessage(callId: callID, event: event))))
        }
        if let user = call.userSession, user != except {
            emit(.send(user, .callEvent(CallEventMessage(callId: callID, event: event))))
        }
        for ringing in call.ringing.sorted(by: { $0.rawValue < $1.rawValue }) where ringing != except {
            emit(.send(ringing, .ringStop(RingStop(callId: callID, reason: event))))
        }
        emit(.event(.callEnded(record)))
        logger.info("call ended", metadata: ["call": "\(callID)", "outcome": "\(outcome.rawValue)"])
    }

    mutating func acknowledge(_ id: SessionID, _ requestId: String?) {
        guard let requestId else { return }
        emit(.send(id, .ack(RequestReference(requestId: requestId))))
    }

    func isInCall(device sn: String) -> Bool {
        calls.values.contains { $0.record.sn == sn }
    }

    func isInCall(user userID: String) -> Bool {
        calls.values.contains { $0.record.userID == userID }
    }

    /// `oid_` followed by 24 lowercase hex digits (the shared id format).
    static func isWellFormedOpenID(_ openID: String) -> Bool {
        let bytes = Array(openID.utf8)
        guard bytes.count == 28, bytes.starts(with: Array("oid_".utf8)) else { return false }
        return bytes.dropFirst(4).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
