import RingletCore
import RingletDTLS
import RingletICE
import RingletRTP
import RingletSDP
import RingletTURN

extension PeerConnection {
    /// Makes an offer (RFC 9429 §5.2.1): audio mid `0` and video mid `1` BUNDLEd, `setup:actpass`, our SSRCs,
    /// CNAME and msid, and the local candidates known now (host candidates at once; server-reflexive and relayed
    /// ones trickle as ``PeerConnectionEvent/localCandidate(_:)`` events, and are included in later offers).
    /// The first offer makes this side the ICE controlling agent.
    /// - Returns: the SDP text.
    /// - Throws: `invalidState` when closed or while a remote offer waits for its answer; `cryptoFailure`.
    public func createOffer(now: Instant) throws(EngineError) -> String {
        guard connectionState != .closed else { throw EngineError(.invalidState, field: "createOffer", "closed") }
        guard signalingState != .haveRemoteOffer else {
            throw EngineError(.invalidState, field: "createOffer", "a remote offer waits for createAnswer")
        }
        if ice == nil { try startICE(role: .controlling, now: now) }
        let caps = try localCapabilities()
        let offer: SessionDescription
        do {
            offer = try SessionDescription.offer(local: caps)
        } catch {
            throw EngineError(.invalidConfiguration, field: error.field, error.message, underlying: error)
        }
        localOffer = offer
        signalingState = .haveLocalOffer
        startTURN(now: now)
        pump(now: now)
        return offer.text
    }

    /// Applies the peer's description: an offer when ``signalingState`` is `stable` (then call
    /// ``createAnswer(now:)``), an answer when it is `haveLocalOffer`. Candidates in it are added; ICE credentials
    /// and fingerprints are taken; payload types, header extension ids and SSRCs are negotiated. New ICE
    /// credentials in a later offer are an ICE restart by the peer (RFC 8445 §9): this side restarts too.
    /// - Throws: `malformedDescription` (unparsable, no ICE credentials or fingerprint), `unsupportedDescription`
    ///   (no common codec, `setup` that cannot be answered, nothing accepted), `invalidState` (closed, or an
    ///   offer while one is pending). On a throw nothing changed: the connection stays usable.
    public func setRemoteDescription(_ text: String, now: Instant) throws(EngineError) {
        guard connectionState != .closed else {
            throw EngineError(.invalidState, field: "setRemoteDescription", "closed")
        }
        let sdp: SessionDescription
        let view: WebRTCSessionView
        do {
            sdp = try SessionDescription(parsing: text)
            view = try WebRTCSessionView(sdp)
        } catch {
            throw EngineError(.malformedDescription, field: error.field, offset: error.line ?? error.offset,
                              error.message, underlying: error)
        }
        switch signalingState {
        case .stable: try applyOffer(sdp, view: view, now: now)
        case .haveLocalOffer: try applyAnswer(view, now: now)
        case .haveRemoteOffer:
            throw EngineError(.invalidState, field: "setRemoteDescription", "a remote offer is already pending")
        }
        startTURN(now: now)
        pump(now: now)
    }

    /// The answer to the offer given to ``setRemoteDescription(_:now:)`` (RFC 9429 §5.3.1): `setup:active` to an
    /// `actpass` offer, the first offered codec Ringlet supports per m-section, the offered header extension ids.
    /// - Throws: `invalidState` unless a remote offer is pending.
    public func createAnswer(now: Instant) throws(EngineError) -> String {
        guard signalingState == .haveRemoteOffer, let answer = pendingAnswer else {
            throw EngineError(.invalidState, field: "createAnswer", "no remote offer to answer")
        }
        pendingAnswer = nil
        signalingState = .stable
        pump(now: now)
        return answer.text
    }

    /// Adds a candidate the peer trickled (RFC 8838 §4.2): `candidate:…` or `a=candidate:…` text.
    /// - Returns: whether ICE took it (candidates of another generation, TCP or component 2 are ignored).
    /// - Throws: `invalidCandidate` when it does not parse or is an mDNS/FQDN name; `invalidState` before a
    ///   remote description.
    @discardableResult
    public func addRemoteCandidate(_ line: String, now: Instant) throws(EngineError) -> Bool {
        guard ice != nil, connectionState != .closed else {
            throw EngineError(.invalidState, field: "candidate", "no remote description yet, or closed")
        }
        let candidate: ICECandidate
        do {
            candidate = try ICECandidate(sdp: line)
        } catch {
            counters.candidatesIgnored &+= 1
            throw EngineError(.invalidCandidate, field: error.field, error.message, underlying: error)
        }
        let taken = takeRemoteCandidate(candidate, now: now)
        pump(now: now)
        return taken
    }

    /// The peer signalled end-of-candidates (RFC 8838 §4.3).
    public func endOfRemoteCandidates(now: Instant) {
        ice?.endOfRemoteCandidates(now: now)
        pump(now: now)
    }

    /// Restarts ICE from this side (RFC 8445 §9): new local credentials, and a new offer to send.
    /// - Returns: the new offer's SDP text.
    /// - Throws: as ``createOffer(now:)``; `invalidState` before the first negotiation.
    public func restartICE(now: Instant) throws(EngineError) -> String {
        guard ice != nil, signalingState == .stable, !negotiatedMedia.isEmpty else {
            throw EngineError(.invalidState, field: "restartICE", "negotiate first")
        }
        do {
            try ice?.restart(using: &rng, now: now)
        } catch {
            throw EngineError(.cryptoFailure, field: error.field, error.message, underlying: error)
        }
        restartPending = true
        return try createOffer(now: now)
    }

    // MARK: Internals

    func startICE(role: ICEAgent.Role, now: Instant) throws(EngineError) {
        var c = configuration.ice
        c.stunServers = configuration.iceTransportPolicy == .all ? configuration.stunServers : []
        do {
            ice = try ICEAgent(configuration: c, role: role, using: &rng)
        } catch {
            throw EngineError(.cryptoFailure, field: error.field, error.message, underlying: error)
        }
        if configuration.iceTransportPolicy == .all {
            for a in configuration.hostAddresses { ice?.addHostCandidate(a, now: now) }
        }
        for server in configuration.turnServers {
            guard let local = configuration.hostAddresses.first(where: { $0.ip.family == server.address.ip.family }),
                  let client = try? TURNClientFactory.make(server, random: &rng)
            else { continue }
            turn.append(TURNSlot(client: client, local: local))
        }
    }

    func startTURN(now: Instant) {
        guard !turnStarted, ice != nil else { return }
        turnStarted = true
        gatheringStartedAt = now
        for i in turn.indices { turn[i].client.start(now: now) }
        checkLocalGathering(now: now)
    }

    func localCapabilities() throws(EngineError) -> SDPLocalCapabilities {
        guard let ice else { throw EngineError(.invalidState, field: "ice", "no ICE agent") }
        let fp = configuration.certificate.fingerprint
        let caps: SDPLocalCapabilities
        do {
            let params = try ICEParameters(usernameFragment: ice.localCredentials.usernameFragment,
                                           password: ice.localCredentials.password.value)
            let fingerprint = try RingletSDP.DTLSFingerprint(algorithm: fp.hashFunction, bytes: fp.digest)
            sessionVersion &+= 1
            let lines = ice.localCandidates.filter { $0.kind != .peerReflexive }.compactMap { try? $0.sdpLine() }
            caps = SDPLocalCapabilities(
                ice: params, fingerprint: fingerprint, sessionID: sessionID, sessionVersion: sessionVersion,
                audio: configuration.audio.map {
                    SDPLocalMedia(direction: $0.direction, codecs: $0.codecs, ssrc: audioSSRC,
                                  msid: MediaStreamID(streamID: configuration.streamID, trackID: "audio"))
                },
                video: configuration.video.map {
                    SDPLocalMedia(direction: $0.direction, codecs: $0.codecs, ssrc: videoSSRC,
                                  msid: MediaStreamID(streamID: configuration.streamID, trackID: "video"))
                },
                cname: cname, candidates: lines, endOfCandidates: gatheringComplete)
        } catch {
            throw EngineError(.invalidConfiguration, field: error.field, error.message, underlying: error)
        }
        return caps
    }

    func applyOffer(_ offer: SessionDescription, view: WebRTCSessionView, now: Instant) throws(EngineError) {
        let isFirst = ice == nil
        if isFirst { try startICE(role: .controlled, now: now) }
        do throws(EngineError) {
            func makeAnswer() throws(EngineError) -> SessionDescription {
                let caps = try localCapabilities()
                do {
                    return try SessionDescription.answer(to: offer, local: caps)
                } catch let e {
                    let unsupported: Set<SDPError.Code> = [.noCommonCodec, .unsupportedSetup, .unsupportedOffer]
                    throw EngineError(unsupported.contains(e.code) ? .unsupportedDescription : .malformedDescription,
                                      field: e.field, offset: e.line, e.message, underlying: e)
                }
            }
            if !isFirst, let remote = view.media.first(where: { !$0.isRejected })?.ice ?? view.ice,
               remote.usernameFragment != ice?.remoteCredentials?.usernameFragment
            {
                // The peer restarts ICE: answer with new credentials too (RFC 8445 §9) — once the offer is known to
                // be answerable, so that a refused offer changes nothing.
                _ = try makeAnswer()
                try? ice?.restart(using: &rng, now: now)
            }
            let answer = try makeAnswer()
            guard let answerView = try? WebRTCSessionView(answer) else {
                throw EngineError(.unsupportedDescription, field: "answer", "the answer writer's output did not read back")
            }
            var media = [NegotiatedMedia]()
            for m in answerView.media where !m.isRejected {
                guard let remote = view.media.first(where: { $0.index == m.index }) else { continue }
                if let n = negotiate(chosen: m, remote: remote, localDirection: m.direction) { media.append(n) }
            }
            let acceptedIndexes = Set(answerView.media.filter { !$0.isRejected }.map(\.index))
            let accepted = view.media.filter { acceptedIndexes.contains($0.index) }
            let role = DTLSRole(localSetup: answerView.media.first(where: { !$0.isRejected })?.setup?.rawValue ?? "")
            try applyRemoteTransport(view, accepted: accepted, localRole: role ?? .client, now: now)
            pendingAnswer = answer
            signalingState = .haveRemoteOffer
            configureMedia(media, now: now)
            addCandidates(of: view, now: now)
        } catch {
            if isFirst {
                ice = nil
                turn.removeAll()
            }
            throw error
        }
    }

    func applyAnswer(_ view: WebRTCSessionView, now: Instant) throws(EngineError) {
        var media = [NegotiatedMedia]()
        var accepted = [WebRTCMediaView]()
        for m in view.media where !m.isRejected && m.isRTP {
            guard let local = m.kind == .audio ? configuration.audio : (m.kind == .video ? configuration.video : nil)
            else { continue }
            let direction = MediaDirection(sends: m.direction.receives && local.direction.sends,
                                           receives: m.direction.sends && local.direction.receives)
            if let n = negotiate(chosen: m, remote: m, localDirection: direction) {
                media.append(n)
                accepted.append(m)
            }
        }
        guard !media.isEmpty else {
            throw EngineError(.unsupportedDescription, field: "m", "the answer accepts no media Ringlet offered")
        }
        let setup = accepted.first?.setup ?? view.setup ?? .active
        guard let role = DTLSRole(remoteSetup: setup.rawValue) else {
            throw EngineError(.unsupportedDescription, field: "setup", "an answer cannot say setup:\(setup)")
        }
        try applyRemoteTransport(view, accepted: accepted, localRole: role, now: now)
        localOffer = nil
        signalingState = .stable
        restartPending = false
        configureMedia(media, now: now)
        addCandidates(of: view, now: now)
    }

    /// The negotiation result of one accepted m-section: `chosen` holds the codec and extensions (our answer, or
    /// the peer's answer), `remote` the peer's SSRCs.
    func negotiate(chosen m: WebRTCMediaView, remote: WebRTCMediaView, localDirection: MediaDirection)
        -> NegotiatedMedia?
    {
        let kind: RTPSendMedia
        let local: MediaConfiguration?
        switch m.kind {
        case .audio: (kind, local) = (.audio, configuration.audio)
        case .video: (kind, local) = (.video, configuration.video)
        default: return nil
        }
        guard let local else { return nil }
        var accepted: [UInt8: RingletCodec] = [:]
        for codec in m.codecs {
            if let ours = local.codecs.first(where: { $0.matches(codec) }) { accepted[codec.payloadType] = ours }
        }
        for codec in m.codecs {
            guard let ours = local.codecs.first(where: { $0.matches(codec) }) else { continue }
            func ext(_ uri: String) -> UInt8? { m.headerExtensionID(uri: uri).flatMap { UInt8(exactly: $0) } }
            var ssrcs = [UInt32]()
            for s in remote.ssrcs where !ssrcs.contains(s.ssrc) { ssrcs.append(s.ssrc) }
            return NegotiatedMedia(
                kind: kind, mid: m.mid, codec: ours, payloadType: codec.payloadType, receivePayloadTypes: accepted,
                sends: localDirection.sends, receives: localDirection.receives,
                transportWideCCID: ext(RTPHeaderExtensionMap.transportWideCCURI),
                absSendTimeID: ext(RTPHeaderExtensionMap.absSendTimeURI), midID: ext(RTPHeaderExtensionMap.midURI),
                nack: codec.feedback.contains(.nack), pictureLossIndication: codec.feedback.contains(.nackPLI),
                transportCC: codec.feedback.contains(.transportCC), remoteSSRCs: ssrcs)
        }
        return nil
    }

    /// Takes the peer's ICE credentials and DTLS fingerprints (from the first accepted m-section, the session
    /// or the BUNDLE tag) and makes the DTLS transport with the negotiated role.
    func applyRemoteTransport(_ view: WebRTCSessionView, accepted: [WebRTCMediaView], localRole: DTLSRole,
                              now: Instant) throws(EngineError) {
        let tag = view.bundle?.mids.first.flatMap { view.media(mid: $0) }
        guard let params = accepted.first?.ice ?? tag?.ice ?? view.ice else {
            throw EngineError(.malformedDescription, field: "ice-ufrag", "no ICE credentials")
        }
        let sdpFingerprints = accepted.first.map(\.fingerprints).flatMap { $0.isEmpty ? nil : $0 }
            ?? tag?.fingerprints ?? view.fingerprints
        guard !sdpFingerprints.isEmpty else {
            throw EngineError(.malformedDescription, field: "fingerprint", "no DTLS fingerprint")
        }
        let credentials: ICEAgent.Credentials
        var fingerprints = [RingletDTLS.DTLSFingerprint]()
        do {
            credentials = try ICEAgent.Credentials(usernameFragment: params.usernameFragment,
                                                   password: params.password.value)
        } catch {
            throw EngineError(.malformedDescription, field: error.field, error.message, underlying: error)
        }
        for f in sdpFingerprints {
            guard let d = try? RingletDTLS.DTLSFingerprint(hashFunction: f.algorithm, digest: f.bytes) else { continue }
            fingerprints.append(d)
        }
        guard !fingerprints.isEmpty else {
            throw EngineError(.unsupportedDescription, field: "fingerprint", "no usable fingerprint")
        }
        if dtls == nil {
            do {
                dtls = try DTLSTransport(role: localRole, certificate: configuration.certificate,
                                         remoteFingerprints: fingerprints, configuration: configuration.dtls)
            } catch {
                throw EngineError(.cryptoFailure, field: error.field, error.message, underlying: error)
            }
        }
        do {
            try ice?.setRemoteCredentials(credentials, now: now)
        } catch {
            throw EngineError(.cryptoFailure, field: error.field, error.message, underlying: error)
        }
    }

    func addCandidates(of view: WebRTCSessionView, now: Instant) {
        var ended = false
        for m in view.media {
            for line in m.candidates {
                guard let c = try? ICECandidate(line) else {
                    counters.candidatesIgnored &+= 1
                    continue
                }
                takeRemoteCandidate(c, now: now)
            }
            ended = ended || m.endOfCandidates
        }
        if ended { ice?.endOfRemoteCandidates(now: now) }
    }

    @discardableResult
    func takeRemoteCandidate(_ c: ICECandidate, now: Instant) -> Bool {
        let taken = ice?.addRemoteCandidate(c, now: now) ?? false
        if !taken { counters.candidatesIgnored &+= 1 }
        for i in turn.indices { permit(c.address, slot: i, now: now) }
        return taken
    }
}

/// Makes TURN clients from the engine's configuration entries.
enum TURNClientFactory {
    static func make(_ s: PeerConnection.TURNServerConfiguration, random: inout SeededRandom) throws -> TURNClient {
        let c = TURNClient.Configuration(server: s.address, transport: s.transport, username: s.username,
                                         password: s.password.value)
        return try TURNClient(configuration: c, random: SeededRandom(seed: random.next()))
    }
}
