import RingletSignaling
import RingletStore

// Several nodes on one PostgreSQL (docs/scaling.md): what this router does for calls of other nodes, and with
// their messages.
extension CallRouter {
    /// A message from another node's router.
    public mutating func handleNode(from node: NodeID, _ message: NodeMessage, now: Int64) {
        switch message {
        case .deliver(let session, let text, let call, let role):
            guard sessions[session] != nil else {
                // The session closed before this arrived: its call's owner must hear it is gone.
                if call != nil, role != .done { emit(.forward(node, .sessionClosed(session: session))) }
                return
            }
            if let call, let role {
                if role == .done {
                    routes[call]?.sessions[session] = nil
                    if routes[call]?.sessions.isEmpty == true { routes[call] = nil }
                } else {
                    routes[call, default: Route(owner: node, sessions: [:])].sessions[session] = role
                }
            }
            if !text.isEmpty { emit(.sendText(session, text)) }
        case .fromSession(let session, let identity, let profile, let text):
            guard let parsed = try? ClientMessage(parsing: text), parsed.callID != nil else { return }
            let party = Party(ref: SessionRef(node: node, session: session), identity: identity, profile: profile)
            handleCallMessage(party, parsed, now: now)
        case .sessionClosed(let session):
            partyGone(SessionRef(node: node, session: session), now: now)
        case .authorizationChanged(let authorization, let openID, let deviceName):
            authorizationChanged(authorization, openID: openID, deviceName: deviceName, push: false, now: now)
        case .revoke(let revocation):
            revoke(revocation, now: now)
        case .rejectCall(let userID, let callID, let endpoint):
            _ = rejectCall(userID: userID, callID: callID, endpoint: endpoint, now: now)
        }
    }

    /// Another node is gone (its lease ran out, or it said goodbye): the calls here with parties there end
    /// (`peer_gone`) or stop ringing there; this node's sessions in its calls are told `peer_gone` (their call's
    /// record is closed by whichever node reaps the dead one, as `interrupted`).
    public mutating func nodeGone(_ node: NodeID, now: Int64) {
        guard node != configuration.node else { return }
        for callID in calls.keys.sorted() {
            guard let call = calls[callID] else { continue }
            let gone = [call.device] + (call.user.map { [$0] } ?? []) + call.ringing.sorted()
            for party in gone where party.node == node { partyGone(party, now: now) }
        }
        for (callID, route) in routes.sorted(by: { $0.key < $1.key }) where route.owner == node {
            routes[callID] = nil
            for (session, role) in route.sessions.sorted(by: { $0.key.rawValue < $1.key.rawValue })
            where sessions[session] != nil {
                switch role {
                case .ringing: emit(.send(session, .ringStop(RingStop(callId: callID, reason: .peerGone))))
                case .party: emit(.send(session, .callEvent(CallEventMessage(callId: callID, event: .peerGone))))
                case .done: break
                }
            }
        }
    }

    /// A session of this node closed: the owners of the other nodes' calls it rang for or took part in hear it.
    mutating func leaveRoutes(_ id: SessionID) {
        for (callID, route) in routes.sorted(by: { $0.key < $1.key }) where route.sessions[id] != nil {
            emit(.forward(route.owner, .sessionClosed(session: id)))
            routes[callID]?.sessions[id] = nil
            if routes[callID]?.sessions.isEmpty == true { routes[callID] = nil }
        }
    }

    /// The nodes this router relays calls for, or whose sessions take part in its calls.
    public var peerNodes: Set<NodeID> {
        var nodes = Set(routes.values.map(\.owner))
        for call in calls.values {
            nodes.insert(call.device.node)
            if let user = call.user { nodes.insert(user.node) }
            for ringing in call.ringing { nodes.insert(ringing.node) }
        }
        nodes.remove(configuration.node)
        return nodes
    }
}
