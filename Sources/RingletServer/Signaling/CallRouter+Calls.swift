import RingletSignaling
import RingletStore

extension CallRouter {
    // MARK: Placing a call

    /// `call` from a device: its context is read, then the checks of DESIGN.md "Calls" step 1 run in the seed's
    /// order (``loaded(_:_:now:)``).
    mutating func placeCall(_ session: Session, _ request: CallRequest, now: Int64) {
        guard case .device(let sn) = session.identity else {
            refuse(party(session), request.requestId, .notAllowed, "only devices place calls; users send call_device")
            return
        }
        let id = nextEffectID()
        pendingLoads[id] = .placeCall(session.id, request)
        emit(.load(.callContext(id, sn: sn, openID: request.openId, userID: nil, presence: configuration.clustered)))
    }

    /// `call_device` from a user: its context is read, then checked.
    mutating func callDevice(_ session: Session, _ request: CallDeviceRequest, now: Int64) {
        guard case .user(let userID, _, _) = session.identity, session.profile.openID != nil else {
            refuse(party(session), request.requestId, .notAllowed, "only users send call_device")
            return
        }
        let id = nextEffectID()
        pendingLoads[id] = .callDevice(session.id, request)
        emit(.load(.callContext(id, sn: request.sn, openID: nil, userID: userID, presence: configuration.clustered)))
    }

    /// A device's call, checked against its context; when it passes, the call is written (STARTING).
    mutating func placeCall(_ session: Session, _ request: CallRequest, context: CallContext, remote: [RemoteSession],
                            now: Int64) {
        guard case .device(let sn) = session.identity else { return }
        func fail(_ router: inout CallRouter, _ code: SeedCode, _ message: String) {
            router.emit(.send(session.id, .callResult(CallResult(requestId: request.requestId, code: code,
                                                                 message: message))))
        }
        guard let device = context.device, device.publicKey != nil else {
            return fail(&self, .notRegistered, "device \(sn) is not registered")
        }
        guard let model = context.model, model.appID == device.appID else {
            return fail(&self, .modelMismatch, "the device's model is not under the device's app")
        }
        guard CallRouter.isWellFormedOpenID(request.openId) else {
            return fail(&self, .openIdInvalid, "openId is not oid_ followed by 24 hex digits")
        }
        guard let user = context.user, user.appID == device.appID, user.openID == request.openId else {
            if context.openIDInOtherApp { return fail(&self, .openIdOtherApp, "openId belongs to another app") }
            return fail(&self, .openIdError, "openId is unknown")
        }
        guard let app = context.app else { return fail(&self, .failed, "the device's app is missing") }
        let channel = AppChannel(rawValue: request.channel.rawValue) ?? .release
        if channel == .release, !app.releaseApproved {
            return fail(&self, .releaseNotApproved, "the app is not approved for release calls")
        }
        guard context.authorization?.status == .authorized else {
            return fail(&self, .notAuthorized, "the user has not authorized this device")
        }
        if isInCall(device: sn) || isInCall(user: user.id) {
            return fail(&self, .busy, "the device or the callee is in a call")
        }
        let targets = ringTargets(userID: user.id, appID: device.appID, channel: channel, remote: remote)
        let subscribed = configuration.pushEnabled && context.pushChannels.contains(channel)
        guard !targets.isEmpty || subscribed else {
            return fail(&self, .failed,
                        "the callee has no open session and no push subscription on the \(channel.rawValue) channel")
        }
        if app.callQuota == 0 { return fail(&self, .quotaExhausted, "the app's call quota is used up") }
        let record = CallRecord(id: makeID("call_"), appID: app.id, sn: sn, userID: user.id, direction: .deviceToUser,
                                kind: request.kind == .video ? .video : .audio, channel: channel, outcome: .ringing,
                                startedAt: now)
        var call = ActiveCall(record: record, state: .starting, device: ref(session.id), ringing: targets, user: nil,
                              ringDeadline: nil, openID: user.openID, deviceName: device.name,
                              request: StartRequest(requestId: request.requestId, kind: request.kind,
                                                    callerCamera: request.callerCamera,
                                                    calleeCamera: request.calleeCamera,
                                                    earlyMedia: request.earlyMedia == true && request.kind == .video))
        call.pushed = subscribed
        start(call, takeQuota: app.callQuota != nil)
    }

    /// A user's call to a device, checked against its context; when it passes, the call is written (STARTING).
    mutating func callDevice(_ session: Session, _ request: CallDeviceRequest, context: CallContext,
                             remote: [RemoteSession], now: Int64) {
        guard case .user(let userID, let appID, let channel) = session.identity, let openID = session.profile.openID
        else { return }
        func fail(_ router: inout CallRouter, _ code: SeedCode, _ message: String) {
            router.emit(.send(session.id, .callResult(CallResult(requestId: request.requestId, code: code,
                                                                 message: message))))
        }
        let sn = request.sn
        guard let device = context.device, device.publicKey != nil else {
            return fail(&self, .notRegistered, "device \(sn) is not registered")
        }
        guard device.appID == appID else { return fail(&self, .openIdOtherApp, "the device belongs to another app") }
        guard let model = context.model, model.appID == device.appID else {
            return fail(&self, .modelMismatch, "the device's model is not under the device's app")
        }
        guard let app = context.app else { return fail(&self, .failed, "the app is missing") }
        if channel == .release, !app.releaseApproved {
            return fail(&self, .releaseNotApproved, "the app is not approved for release calls")
        }
        guard context.authorization?.status == .authorized else {
            return fail(&self, .notAuthorized, "you have not authorized this device")
        }
        let deviceSession: SessionRef
        if let local = deviceSessions[sn] {
            deviceSession = ref(local)
        } else if let elsewhere = remote.first(where: { $0.identity == .device(sn: sn) }) {
            deviceSession = elsewhere.ref
        } else {
            // The attempt is kept in the history (outcome `failed`): the person sees that the call never rang.
            let attempt = CallRecord(id: makeID("call_"), appID: appID, sn: sn, userID: userID,
                                     direction: .userToDevice, kind: request.kind == .video ? .video : .audio,
                                     channel: channel, outcome: .failed, startedAt: now, endedAt: now)
            emit(.persist(Persist(id: nil, write: .attempt(attempt))))
            emit(.event(.callEnded(attempt)))
            return fail(&self, .notRegistered, "device \(sn) is offline")
        }
        if isInCall(device: sn) || isInCall(user: userID) {
            return fail(&self, .busy, "the device or you are in a call")
        }
        if app.callQuota == 0 { return fail(&self, .quotaExhausted, "the app's call quota is used up") }
        let record = CallRecord(id: makeID("call_"), appID: appID, sn: sn, userID: userID, direction: .userToDevice,
                                kind: request.kind == .video ? .video : .audio, channel: channel, outcome: .ringing,
                                startedAt: now)
        let call = ActiveCall(record: record, state: .starting, device: deviceSession, ringing: [], user: ref(session.id),
                              ringDeadline: nil, openID: openID, deviceName: device.name,
                              request: StartRequest(requestId: request.requestId, kind: request.kind,
                                                    callerCamera: false, calleeCamera: false))
        start(call, takeQuota: app.callQuota != nil)
    }

    /// The sessions a device → user call rings: the user's sessions of the app and channel, here and elsewhere.
    func ringTargets(userID: String, appID: String, channel: AppChannel, remote: [RemoteSession]) -> Set<SessionRef> {
        var targets = Set((userSessions[userID] ?? []).filter { id in
            guard case .user(_, let sessionApp, let sessionChannel) = sessions[id]?.identity else { return false }
            return sessionApp == appID && sessionChannel == channel
        }.map { ref($0) })
        for session in remote where session.identity == .user(userID: userID, appID: appID, channel: channel) {
            targets.insert(session.ref)
        }
        return targets
    }

    /// Keeps the call (STARTING) and writes it; nobody is told before the write is durable.
    mutating func start(_ call: ActiveCall, takeQuota: Bool) {
        calls[call.record.id] = call
        let id = nextEffectID()
        pendingWrites[id] = .start(callID: call.record.id)
        emit(.persist(Persist(id: id, write: .start(call.record, takeQuota: takeQuota,
                                                  node: configuration.clustered ? configuration.node.rawValue : nil))))
    }

    /// The call's record is written (or was refused): ring, or tell the caller why not.
    mutating func started(_ callID: String, _ result: CallWriteResult, now: Int64) {
        guard var call = calls[callID], call.state == .starting else { return }
        let caller = call.record.direction == .deviceToUser ? call.device : call.user
        let requestId = call.request.requestId
        func fail(_ router: inout CallRouter, _ code: SeedCode, _ message: String) {
            router.calls[callID] = nil
            if let caller, router.isOpen(caller) {
                router.deliver(caller, .callResult(CallResult(requestId: requestId, code: code, message: message)))
            }
        }
        switch result {
        case .done:
            break
        case .busy:
            return fail(&self, .busy, "the device or the callee is in a call")
        case .quotaExhausted:
            return fail(&self, .quotaExhausted, "the app's call quota is used up")
        case .notRinging:
            return fail(&self, .failed, "the call could not be placed")
        case .failed(let error):
            storeFailed(error)
            return fail(&self, .failed, "store unavailable")
        }
        if let ended = call.endedWhileStarting {
            // Its caller went away (or it was revoked) while it was written: it ends now, unrung.
            call.state = .ringing
            call.ringing = []
            call.pushed = false
            calls[callID] = call
            endCall(callID, outcome: ended.outcome, event: ended.event, now: now, except: nil)
            return
        }
        call.state = .ringing
        call.ringDeadline = now &+ configuration.ringTimeoutMs
        let record = call.record
        switch record.direction {
        case .deviceToUser:
            // Sessions of the callee that opened here while the call was written ring too.
            for target in ringTargets(userID: record.userID, appID: record.appID, channel: record.channel, remote: [])
            { call.ringing.insert(target) }
            call.ringing = call.ringing.filter { isOpen($0) }
            let ring = Ring(callId: record.id, sn: record.sn, deviceName: call.deviceName, kind: call.request.kind,
                            callerCamera: call.request.callerCamera, calleeCamera: call.request.calleeCamera,
                            iceServers: iceServers(for: record.userID, now: now),
                            earlyMedia: call.request.earlyMedia ? true : nil)
            call.ring = ring
            calls[callID] = call
            for target in call.ringing.sorted() { deliver(target, .ring(ring), call: record.id, role: .ringing) }
            if call.pushed, let deadline = call.ringDeadline {
                pushRing(record, deviceName: call.deviceName, until: deadline, now: now)
            }
            deliver(call.device, .callResult(CallResult(requestId: requestId, code: .ok, callId: record.id,
                                                        iceServers: iceServers(for: record.sn, now: now))),
                    call: record.id, role: .party)
            logger.info("call ringing", metadata: ["call": "\(record.id)", "sessions": "\(call.ringing.count)",
                                                  "push": "\(call.pushed)"])
        case .userToDevice:
            calls[callID] = call
            deliver(call.device, .joinNotify(JoinNotify(callId: record.id, openId: call.openID, kind: call.request.kind,
                                                        iceServers: iceServers(for: record.sn, now: now))),
                    call: record.id, role: .party)
            if let user = call.user {
                deliver(user, .callResult(CallResult(requestId: requestId, code: .ok, callId: record.id,
                                                     iceServers: iceServers(for: record.userID, now: now))),
                        call: record.id, role: .party)
            }
        }
        emit(.event(.callStarted(record)))
    }

    /// Whether a session is open: here, as far as this router knows; elsewhere, until its node says otherwise.
    func isOpen(_ session: SessionRef) -> Bool {
        session.node != configuration.node || sessions[session.session] != nil
    }

    // MARK: Answering

    /// `answer` from a ringing user session: the first answer is written (ANSWERING), and wins once durable.
    mutating func answer(_ party: Party, _ action: CallAction, now: Int64) {
        guard let call = calls[action.callId], call.record.direction == .deviceToUser,
              call.ringing.contains(party.ref) || call.user == party.ref else {
            refuse(party, action.requestId, .unknownCall, "no call \(action.callId) rings on this session")
            return
        }
        guard call.state == .ringing else {
            refuse(party, action.requestId, .invalidState, "the call was already answered")
            return
        }
        claim(action.callId, by: party.ref, requestId: action.requestId, now: now)
    }

    /// `join` from the device of a user → device call.
    mutating func join(_ party: Party, _ request: JoinRequest, now: Int64) {
        guard let call = calls[request.callId], call.device == party.ref, call.record.direction == .userToDevice,
              call.state != .starting else {
            refuse(party, request.requestId, .unknownCall, "no user call \(request.callId) for this device")
            return
        }
        guard call.state == .ringing else {
            refuse(party, request.requestId, .invalidState, "the call was already joined")
            return
        }
        switch request.answer {
        case .accept:
            claim(request.callId, by: party.ref, requestId: request.requestId, now: now)
        case .busy:
            endCall(request.callId, outcome: .busy, event: .busy, now: now, except: party.ref)
            acknowledge(party.ref, request.requestId, call: request.callId, role: .done)
        case .refuse:
            endCall(request.callId, outcome: .rejected, event: .reject, now: now, except: party.ref)
            acknowledge(party.ref, request.requestId, call: request.callId, role: .done)
        }
    }

    /// Writes the answer (ANSWERING); ``answered(_:_:now:)`` goes on once it is durable.
    mutating func claim(_ callID: String, by answerer: SessionRef, requestId: String?, now: Int64) {
        calls[callID]?.state = .answering(by: answerer, requestId: requestId, at: now)
        let id = nextEffectID()
        pendingWrites[id] = .answer(callID: callID)
        emit(.persist(Persist(id: id, write: .answer(callID: callID, at: now))))
    }

    /// The answer is written (the call is ACTIVE), or the database says the call no longer rings.
    mutating func answered(_ callID: String, _ result: CallWriteResult, now: Int64) {
        guard var call = calls[callID], case .answering(let answerer, let requestId, let at) = call.state else { return }
        switch result {
        case .done:
            break
        case .notRinging, .busy, .quotaExhausted:
            // Another node ended it in the database (it took this node for dead): it is over here too.
            deliver(answerer, .error(ErrorMessage(requestId: requestId, code: .invalidState,
                                                  message: "the call has ended")))
            endCall(callID, outcome: .interrupted, event: .peerGone, now: now, except: answerer, write: false)
            return
        case .failed(let error):
            storeFailed(error)
            call.state = .ringing
            call.held = []
            calls[callID] = call
            deliver(answerer, .error(ErrorMessage(requestId: requestId, code: .internalError,
                                                  message: "the answer could not be stored; answer again")))
            return
        }
        call.state = .active
        call.ringDeadline = nil
        // Early video went to another session (or one that is gone): the device offers again for this one.
        let restartMedia = call.previewSession != nil && call.previewSession != answerer
        call.awaitingOffer = restartMedia
        call.previewSession = nil
        call.record.outcome = .active
        call.record.answeredAt = at
        switch call.record.direction {
        case .deviceToUser:
            call.user = answerer
            let others = call.ringing.subtracting([answerer])
            call.ringing = []
            call.ring = nil
            call.replay = []
            let held = call.held
            call.held = []
            calls[callID] = call
            if call.pushed { pushRingStop(call.record, deviceName: call.deviceName, reason: .answer, now: now) }
            deliver(call.device, .callEvent(CallEventMessage(callId: callID, event: .answer,
                                                             restartMedia: restartMedia ? true : nil)))
            // After a media restart, what the answerer sent for the device's earlier offer is dropped.
            for message in held where !(restartMedia && message.isMediaNegotiation) { deliver(call.device, message) }
            for other in others.sorted() {
                deliver(other, .ringStop(RingStop(callId: callID, reason: .answer)), call: callID, role: .done)
            }
            if restartMedia {
                // The answering session drops what it prepared for the device's earlier offer and waits for the new
                // one (before the acknowledgement, so that it never answers the old offer).
                deliver(answerer, .callEvent(CallEventMessage(callId: callID, event: .answer, restartMedia: true)))
            }
            acknowledge(answerer, requestId, call: callID, role: .party)
        case .userToDevice:
            calls[callID] = call
            if let user = call.user { deliver(user, .callEvent(CallEventMessage(callId: callID, event: .answer))) }
            acknowledge(answerer, requestId)
        }
    }

    // MARK: Declining and hanging up

    /// `reject` / `busy` from a ringing user session: the call ends for everyone.
    mutating func decline(_ party: Party, _ action: CallAction, outcome: CallRecord.Outcome, event: CallEvent,
                          now: Int64) {
        guard let call = calls[action.callId], call.ringing.contains(party.ref), call.state != .starting else {
            refuse(party, action.requestId, .unknownCall, "no call \(action.callId) rings on this session")
            return
        }
        guard call.state == .ringing else {
            refuse(party, action.requestId, .invalidState, "the call was already answered")
            return
        }
        endCall(action.callId, outcome: outcome, event: event, now: now, except: party.ref)
        acknowledge(party.ref, action.requestId, call: action.callId, role: .done)
    }

    /// `cancel` / `hang_up` from a party: before the answer the caller cancels (the callee rejects); after it,
    /// either party hangs up.
    mutating func hangUp(_ party: Party, _ action: CallAction, now: Int64) {
        guard let call = calls[action.callId], call.state != .starting else {
            refuse(party, action.requestId, .unknownCall, "no call \(action.callId) in progress")
            return
        }
        let isDevice = call.device == party.ref
        let isUser = call.user == party.ref
        guard isDevice || isUser || call.ringing.contains(party.ref) else {
            refuse(party, action.requestId, .unknownCall, "this session is not a party of \(action.callId)")
            return
        }
        switch call.state {
        case .active where action.reason == .mediaLost:
            // The party's media path died: a dropped call, told to the other side as a network loss.
            endCall(action.callId, outcome: .peerGone, event: .peerGone, now: now, except: party.ref)
        case .active:
            endCall(action.callId, outcome: .completed, event: .hangUp, now: now, except: party.ref)
        case .ringing, .answering, .starting:
            let isCaller = call.record.direction == .deviceToUser ? isDevice : isUser
            if isCaller {
                endCall(action.callId, outcome: .cancelled, event: .cancel, now: now, except: party.ref)
            } else {
                endCall(action.callId, outcome: .rejected, event: .reject, now: now, except: party.ref)
            }
        }
        acknowledge(party.ref, action.requestId, call: action.callId, role: .done)
    }

    // MARK: Ending

    /// Ends a call: tells every other party and ringing session (`call_event` to parties, `ring_stop` to ringing
    /// sessions), writes its outcome and end time (nothing waits for that write; with `write: false` the
    /// database has the final record already), reports `callEnded`. A call still being written ends once the
    /// write is back.
    mutating func endCall(_ callID: String, outcome: CallRecord.Outcome, event: CallEvent, now: Int64,
                          except: SessionRef?, pushExcluding endpoint: String? = nil, write: Bool = true) {
        guard var call = calls[callID] else { return }
        if call.state == .starting {
            if call.endedWhileStarting == nil { call.endedWhileStarting = (outcome, event) }
            calls[callID] = call
            return
        }
        calls[callID] = nil
        if call.pushed, call.state != .active {
            pushRingStop(call.record, deviceName: call.deviceName, reason: event, now: now, excluding: endpoint)
        }
        if call.state != .active { call.record.answeredAt = nil }
        call.record.outcome = outcome
        call.record.endedAt = now
        let record = call.record
        if write { emit(.persist(Persist(id: nil, write: .finish(record)))) }
        let message = ServerMessage.callEvent(CallEventMessage(callId: callID, event: event))
        if call.device != except, isOpen(call.device) { deliver(call.device, message, call: callID, role: .done) }
        if let user = call.user, user != except, isOpen(user) { deliver(user, message, call: callID, role: .done) }
        for ringing in call.ringing.sorted() where ringing != except && ringing != call.user && isOpen(ringing) {
            deliver(ringing, .ringStop(RingStop(callId: callID, reason: event)), call: callID, role: .done)
        }
        emit(.event(.callEnded(record)))
        logger.info("call ended", metadata: ["call": "\(callID)", "outcome": "\(outcome.rawValue)"])
    }

    /// A session here or elsewhere is gone: its calls end with `peer_gone` for the other side; a ringing session
    /// that was one of several just stops ringing.
    mutating func partyGone(_ gone: SessionRef, now: Int64) {
        for callID in calls.keys.sorted() {
            guard var call = calls[callID] else { continue }
            if call.device == gone || call.user == gone {
                endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: gone)
            } else if call.ringing.contains(gone) {
                if case .answering(let answerer, _, _) = call.state, answerer == gone {
                    endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: gone)
                    continue
                }
                call.ringing.remove(gone)
                calls[callID] = call
                // A call rung by push rings on (a phone may still answer from its notification).
                if call.ringing.isEmpty, call.user == nil, !call.pushed, call.state != .starting {
                    endCall(callID, outcome: .peerGone, event: .peerGone, now: now, except: gone)
                }
            }
        }
    }

    mutating func acknowledge(_ target: SessionRef, _ requestId: String?, call: String? = nil, role: RouteRole? = nil) {
        if let requestId {
            deliver(target, .ack(RequestReference(requestId: requestId)), call: call, role: role)
        } else if let call, let role, target.node != configuration.node {
            // Nothing to say, but the other node's route must still follow.
            emit(.forward(target.node, .deliver(session: target.session, text: "", call: call, role: role)))
        }
    }

    func isInCall(device sn: String) -> Bool {
        calls.values.contains { $0.record.sn == sn }
    }

    func isInCall(user userID: String) -> Bool {
        calls.values.contains { $0.record.userID == userID }
    }

    /// A session of this node as a party.
    func party(_ session: Session) -> Party {
        Party(ref: ref(session.id), identity: session.identity, profile: session.profile)
    }

    /// `oid_` followed by 24 lowercase hex digits (the shared id format).
    static func isWellFormedOpenID(_ openID: String) -> Bool {
        let bytes = Array(openID.utf8)
        guard bytes.count == 28, bytes.starts(with: Array("oid_".utf8)) else { return false }
        return bytes.dropFirst(4).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
