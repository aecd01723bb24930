import RingletCore
@testable import RingletDevice
import RingletSignaling
import Testing

/// Early video (``DeviceConfiguration/earlyVideo``): the stream of a placed video call starts while it rings.
@Suite("The device's call machine: early video")
struct DeviceCallMachineEarlyVideoTests {
    /// A harness whose machine streams while it rings, with a video call placed and ringing.
    static func ringing(kind: CallKind = .video) throws -> MachineHarness {
        var h = MachineHarness()
        h.machine = DeviceCallMachine(mediaConnectTimeout: .seconds(15), earlyVideo: true)
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: kind, channel: .release,
                                        callerCamera: true, calleeCamera: true, earlyMedia: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        h.drain()
        return h
    }

    @Test("the stream starts once the media connects while it rings, before CALL_ANSWER; the answer starts nothing again")
    func streamsWhileRinging() throws {
        var h = try Self.ringing()
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.drain()
        #expect(h.log == ["media:offer", "streamStarted"])
        #expect(h.machine.isEarlyStreaming)
        // Nothing the person sends is delivered before the answer.
        h.receive(.audio)
        h.drain()
        #expect(h.log.count == 2)
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .answer), now: h.now)
        h.receive(.audio)
        h.drain()
        #expect(h.log == ["media:offer", "streamStarted", "command CALL_ANSWER", "receiveStarted audio", "frame audio #0"])
        #expect(!h.machine.isEarlyStreaming)
    }

    @Test("without the option (the seed's order) the stream waits for the answer")
    func seedOrderByDefault() throws {
        var h = MachineHarness()
        try h.machine.place(CallRequest(requestId: "r1", openId: "oid_u1", kind: .video, channel: .release,
                                        callerCamera: true, calleeCamera: true))
        h.machine.callResult(CallResult(requestId: "r1", code: .ok, callId: "call_1"))
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.drain()
        #expect(h.log == ["media:offer"])
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .answer), now: h.now)
        h.drain()
        #expect(h.log == ["media:offer", "command CALL_ANSWER", "streamStarted"])
    }

    @Test("a voice call has no early video")
    func voiceCallsWait() throws {
        var h = try Self.ringing(kind: .audio)
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.drain()
        #expect(h.log == ["media:offer"])
    }

    @Test("rejected, timed out or cancelled after the early stream started: its command, then the stream stops", arguments: [
        (CallEvent.reject, "command CALL_REJECT"), (.timeout, "command CALL_TIMEOUT"), (.busy, "command CALL_BUSY"),
    ])
    func endsWhileStreaming(event: CallEvent, command: String) throws {
        var h = try Self.ringing()
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: event), now: h.now)
        h.drain()
        #expect(h.log.dropFirst(2) == [command, "streamStopped", "media:stop", "ended \(event == .busy ? "busy" : event == .reject ? "rejected" : "timeout")"])
    }

    @Test("the device cancels after the early stream started: the stream stops, no command")
    func deviceCancels() throws {
        var h = try Self.ringing()
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        try h.machine.hangUp()
        h.drain()
        #expect(h.log.dropFirst(2) == ["streamStopped", "media:stop", "ended local_hang_up"])
        #expect(h.sent.last == .cancel(CallAction(callId: "call_1")))
    }

    @Test("answered by another page than the early video's: the media starts again (a new offer), the stream goes on and asks for a keyframe once the new media is up")
    func restartForAnotherPage() throws {
        var h = try Self.ringing()
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.drain()
        h.machine.callEvent(CallEventMessage(callId: "call_1", event: .answer, restartMedia: true), now: h.now)
        h.drain()
        #expect(h.log == ["media:offer", "streamStarted", "media:stop", "media:offer", "command CALL_ANSWER"])
        h.machine.mediaReady(callId: "call_1", format: MachineHarness.audioVideo)
        h.drain()
        #expect(h.log.last == "command REQ_IFRAME")
        #expect(h.log.filter { $0 == "streamStarted" }.count == 1)
    }
}
