import Foundation
import Logging
import Prometheus
import RingletCore
@testable import RingletServer
import RingletSignaling
import RingletStore
import RingletTestSupport
import Testing

/// The router without a store: its reads and writes are outputs, their results inputs given here by hand
/// (docs/signaling.md, "Effects").
struct BareRouter {
    var router = CallRouter(configuration: CallRouter.Configuration(), random: SeededRandom(seed: 3),
                            logger: Logger(label: "test.bare-router"))
    let now: Int64 = 1_700_000_000_000
    let device = SessionID(rawValue: 1)
    let alice = SessionID(rawValue: 2)

    static let app = AppRecord(id: "app_1", name: "A", secretHash: "h", releaseApproved: true, callQuota: nil, createdAt: 1)
    static let user = UserRecord(id: "usr_a", appID: "app_1", openID: "oid_aaaaaaaaaaaaaaaaaaaaaaa1", name: "Alice",
                                 createdAt: 1)
    /// What the store would say about a call from SN_1 to Alice: everything in order.
    static let context = CallContext(
        device: DeviceRecord(sn: "SN_1", modelID: "mdl_1", appID: "app_1", name: "Door", publicKey: [4, 1],
                             registeredAt: 1, createdAt: 1),
        model: ModelRecord(id: "mdl_1", appID: "app_1", name: "M", createdAt: 1), app: app, user: user,
        authorization: AuthorizationRecord(userID: "usr_a", sn: "SN_1", status: .authorized, updatedAt: 1))

    /// A router with the device and Alice's page open (their welcomes drained).
    init() {
        router.sessionOpened(device, identity: .device(sn: "SN_1"), profile: SessionProfile(appID: "app_1", deviceName: "Door"),
                             now: now)
        router.sessionOpened(alice, identity: .user(userID: "usr_a", appID: "app_1", channel: .release),
                             profile: SessionProfile(appID: "app_1", openID: Self.user.openID), now: now)
        _ = drain()
    }

    mutating func drain() -> [CallRouter.Output] {
        var outputs: [CallRouter.Output] = []
        while let output = router.pollOutput() { outputs.append(output) }
        return outputs
    }

    /// The device calls Alice; the read is answered with `context`; returns the write the router asks for.
    mutating func callUntilWritten() throws -> (CallRouter.Persist, [CallRouter.Output]) {
        router.handle(device, .call(CallRequest(requestId: "r1", openId: Self.user.openID, kind: .video,
                                                channel: .release, callerCamera: true, calleeCamera: false)), now: now)
        let asked = drain()
        guard asked.count == 1, case .load(let load) = asked[0],
              case .callContext(_, "SN_1", Self.user.openID, nil, false) = load else {
            Issue.record("expected one read of the call's context, got \(asked)")
            throw CancellationError()
        }
        router.loaded(load.id, .callContext(Self.context, remote: []), now: now)
        let outputs = drain()
        let writes = outputs.compactMap { if case .persist(let write) = $0 { write } else { nil } }
        let write = try #require(writes.first)
        #expect(writes.count == 1)
        return (write, outputs)
    }

    /// The device's call to Alice, its start written: it rings (what that sent is drained); its record.
    mutating func ringingCall() throws -> CallRecord {
        let (start, _) = try callUntilWritten()
        router.persisted(try #require(start.id), .done, now: now)
        _ = drain()
        guard case .start(let record, _, _) = start.write else {
            Issue.record("not a start: \(start)")
            throw CancellationError()
        }
        return record
    }
}

@Suite("Call router effects: what waits for the store and what does not")
struct CallRouterEffectsTests {
    @Test("a call rings nobody until its record is written; once durable Alice rings and the device gets its call id")
    func ringAfterDurableStart() throws {
        var bare = BareRouter()
        let (write, before) = try bare.callUntilWritten()
        guard case .start(let record, let takeQuota, nil) = write.write else {
            Issue.record("not a start: \(write)")
            return
        }
        #expect(record.outcome == .ringing && record.sn == "SN_1" && record.userID == "usr_a" && !takeQuota)
        #expect(before.recipients.isEmpty, "nobody is told before the write")
        let id = try #require(write.id, "the ring waits for this write")
        bare.router.persisted(id, .done, now: bare.now)
        let after = bare.drain()
        #expect(after.messages(to: bare.alice).compactMap(\.ring).map(\.callId) == [record.id])
        #expect(after.messages(to: bare.device).compactMap(\.callResult).map(\.code) == [.ok])
    }

    @Test("a start the store refuses as busy (a call elsewhere) gives the device -303 and rings nobody")
    func busyInTheStore() throws {
        var bare = BareRouter()
        let (write, _) = try bare.callUntilWritten()
        bare.router.persisted(try #require(write.id), .busy, now: bare.now)
        let after = bare.drain()
        #expect(after.messages(to: bare.device).compactMap(\.callResult).map(\.code) == [.busy])
        #expect(after.messages(to: bare.alice).isEmpty)
        #expect(bare.router.callsInProgress == 0)
    }

    @Test("the answer is told only once written; the hang-up is told at once and its record written after, waited for by nobody")
    func answerWaitsHangUpDoesNot() throws {
        var bare = BareRouter()
        let record = try bare.ringingCall()
        bare.router.handle(bare.alice, .answer(CallAction(callId: record.id, requestId: "a")), now: bare.now + 1_000)
        let answering = bare.drain()
        #expect(answering.recipients.isEmpty)
        let answer = try #require(answering.compactMap { if case .persist(let p) = $0 { p } else { nil } }.first)
        #expect(answer.write == .answer(callID: record.id, at: bare.now + 1_000))
        bare.router.persisted(try #require(answer.id), .done, now: bare.now + 1_001)
        #expect(bare.drain().messages(to: bare.device).compactMap(\.callEvent) == [.answer])

        bare.router.handle(bare.device, .hangUp(CallAction(callId: record.id)), now: bare.now + 5_000)
        let hungUp = bare.drain()
        #expect(hungUp.messages(to: bare.alice).compactMap(\.callEvent) == [.hangUp])
        let finish = try #require(hungUp.compactMap { if case .persist(let p) = $0 { p } else { nil } }.first)
        #expect(finish.id == nil)
        guard case .finish(let final) = finish.write else {
            Issue.record("not a finish: \(finish)")
            return
        }
        #expect(final.outcome == .completed && final.answeredAt == bare.now + 1_000 && final.endedAt == bare.now + 5_000)
    }

    @Test("what the answering page sends while its answer is written reaches the device after the answer; if the answer is lost, nothing does")
    func heldWhileAnswering() throws {
        for wins in [true, false] {
            var bare = BareRouter()
            let record = try bare.ringingCall()
            bare.router.handle(bare.alice, .answer(CallAction(callId: record.id, requestId: "a")), now: bare.now + 1)
            let sdp = SessionDescription(callId: record.id, sdpType: .answer, sdp: "v=0")
            let candidate = ICECandidate(callId: record.id, candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", mid: "0")
            bare.router.handle(bare.alice, .sdp(sdp), now: bare.now + 2)
            bare.router.handle(bare.alice, .candidate(candidate), now: bare.now + 3)
            let meanwhile = bare.drain()
            #expect(meanwhile.recipients.isEmpty, "held, not refused: \(meanwhile)")
            let answer = try #require(meanwhile.compactMap { if case .persist(let p) = $0 { p } else { nil } }.first)
            bare.router.persisted(try #require(answer.id), wins ? .done : .notRinging, now: bare.now + 4)
            let device = bare.drain().messages(to: bare.device)
            if wins {
                #expect(device == [.callEvent(CallEventMessage(callId: record.id, event: .answer)), .sdp(sdp),
                                   .candidate(candidate)])
            } else {
                #expect(!device.contains(.sdp(sdp)) && !device.contains(.candidate(candidate)))
            }
        }
    }

    @Test("the store writer applies what was queued in one transaction and answers the writes that wait, in order")
    func groupCommit() async throws {
        let store = try await APITestStore()
        try await store.insertApp(BareRouter.app)
        let registry = PrometheusCollectorRegistry()
        let writer = StoreWriter(metricsFactory: PrometheusMetricsFactory(registry: registry))
        for index in 0..<200 {
            let call = CallRecord(id: "call_\(index)", appID: "app_1", sn: "SN_\(index)", userID: "usr_\(index)",
                                  direction: .deviceToUser, kind: .audio, channel: .release, outcome: .ringing,
                                  startedAt: Int64(index))
            writer.submit(CallRouter.Persist(id: index % 2 == 0 ? EffectID(rawValue: UInt64(index)) : nil,
                                             write: .start(call, takeQuota: false, node: nil)))
        }
        // The same SN again: refused as busy by the schema, in the same batch.
        writer.submit(CallRouter.Persist(id: EffectID(rawValue: 1_000), write: .start(
            CallRecord(id: "call_again", appID: "app_1", sn: "SN_0", userID: "usr_x", direction: .deviceToUser,
                       kind: .audio, channel: .release, outcome: .ringing, startedAt: 5), takeQuota: false, node: nil)))
        writer.finish()
        let replies = Replies()
        await writer.run(store: store) { answers in replies.add(answers) }
        let answers = replies.all
        #expect(answers.map(\.0.rawValue) == Array(stride(from: 0, to: 200, by: 2)).map(UInt64.init) + [1_000])
        #expect(answers.dropLast().allSatisfy { $0.1 == .done })
        #expect(answers.last?.1 == .busy)
        #expect(try await store.calls(appID: "app_1", sn: nil, userID: nil, limit: 500).count == 200)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(text.contains("ringlet_store_writes_total 201"), "\(text)")
        #expect(text.contains("ringlet_store_batches_total 1"), "\(text)")
    }
}

/// The writer's answers, collected.
final class Replies: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var answers: [(EffectID, CallWriteResult)] = []
    func add(_ more: [(EffectID, CallWriteResult)]) { lock.withLock { answers += more } }
    var all: [(EffectID, CallWriteResult)] { lock.withLock { answers } }
}
