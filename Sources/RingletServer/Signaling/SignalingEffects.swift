import Logging
import Metrics
import RingletStore

/// What a node needs from the other nodes sharing its PostgreSQL (docs/scaling.md): who holds which session,
/// and a way to send their routers messages. Nil on a node alone.
protocol ClusterLink: Sendable {
    /// This node.
    var node: NodeID { get }
    /// The sessions of a device on other nodes.
    func remoteSessions(device sn: String) async throws(StoreError) -> [RemoteSession]
    /// The sessions of some users of an app on other nodes.
    func remoteSessions(users: [String], appID: String) async throws(StoreError) -> [RemoteSession]
    /// Queues a message for another node's router (never waits).
    func send(_ message: NodeMessage, to node: NodeID)
    /// Queues a message for every other live node's router (never waits).
    func broadcast(_ message: NodeMessage)
    /// A session opened or closed here (the presence table follows; never waits).
    func sessionOpened(_ id: SessionID, identity: SessionIdentity)
    func sessionClosed(_ id: SessionID)
}

/// The shell's side of the router's effects (docs/signaling.md, "Effects"): reads run concurrently off the
/// signaling actor, writes go to the group-commit ``StoreWriter``, messages for other nodes to the
/// ``ClusterLink``; results come back into the actor. `run(core:)` is part of the hub's service.
final class SignalingEffects: Sendable {
    let store: any Store
    let writer: StoreWriter
    let cluster: (any ClusterLink)?
    let logger: Logger
    private let loads: AsyncStream<CallRouter.Load>
    private let loadInput: AsyncStream<CallRouter.Load>.Continuation

    init(store: any Store, cluster: (any ClusterLink)?, metricsFactory: any MetricsFactory, logger: Logger) {
        self.store = store
        self.cluster = cluster
        self.logger = logger
        writer = StoreWriter(metricsFactory: metricsFactory)
        (loads, loadInput) = AsyncStream.makeStream(of: CallRouter.Load.self)
    }

    /// Queues a read (never waits).
    func load(_ load: CallRouter.Load) {
        loadInput.yield(load)
    }

    /// Queues a write (never waits).
    func persist(_ write: CallRouter.Persist) {
        writer.submit(write)
    }

    /// Sends a message to another node's router (dropped, and logged, on a node alone).
    func forward(_ message: NodeMessage, to node: NodeID) {
        guard let cluster else {
            logger.warning("a message for another node, but this node is alone", metadata: ["node": "\(node)"])
            return
        }
        cluster.send(message, to: node)
    }

    /// No more reads or writes: ``run(core:)`` returns once the queued ones are done.
    func finish() {
        loadInput.finish()
        writer.finish()
    }

    /// Performs reads and writes until ``finish()``, handing results to `core`.
    func run(core: SignalingCore) async {
        await withDiscardingTaskGroup { group in
            group.addTask { [writer, store] in
                await writer.run(store: store) { results in await core.persisted(results) }
            }
            for await load in loads {
                group.addTask { [self] in
                    let result = await perform(load)
                    await core.loaded(load.id, result)
                }
            }
        }
    }

    /// One read, with the presence on other nodes it asks for.
    func perform(_ load: CallRouter.Load) async -> CallRouter.LoadResult {
        do {
            switch load {
            case .callContext(_, let sn, let openID, let userID, let presence):
                let context = try await store.callContext(sn: sn, openID: openID, userID: userID)
                var remote: [RemoteSession] = []
                if presence, let cluster {
                    if openID != nil, let user = context.user, let device = context.device {
                        remote = try await cluster.remoteSessions(users: [user.id], appID: device.appID)
                    } else if openID == nil {
                        remote = try await cluster.remoteSessions(device: sn)
                    }
                }
                return .callContext(context, remote: remote)
            case .authorizedUsers(_, let sn, let presence):
                let users = try await store.authorizedUsers(sn: sn)
                var remote: [RemoteSession] = []
                if presence, let cluster, !users.isEmpty, let device = try await store.device(sn: sn) {
                    remote = try await cluster.remoteSessions(users: users.map(\.userID), appID: device.appID)
                }
                return .authorizedUsers(users, remote: remote)
            }
        } catch {
            return .failed(error)
        }
    }
}
