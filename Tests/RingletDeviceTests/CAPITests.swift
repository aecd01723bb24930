import Foundation
import RingletPhone
import RingletSampleMedia
import RingletTestSupport
import Testing

/// The C API (issue 15, items 1 and 2): examples/c-doorbell, built with gcc and its plain Makefile against
/// libringlet_device, registers, calls a headless phone through a real `ringlet serve`, streams H.264 and G.711
/// from files or live from an encoder (a FIFO and standard input), receives, hangs up — callbacks in the seed's
/// order — and runs clean under valgrind's memcheck.
@Suite("The C API: the doorbell example in C against a real server and phone", .serialized, .timeLimit(.minutes(15)))
struct CAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let example = root.appendingPathComponent("examples/c-doorbell")

    /// Builds the example with `make` (gcc) against the library in .build/debug; returns the program's path.
    static func build(_ target: String) async throws -> String {
        _ = try requireTool("gcc", package: "gcc")
        _ = try requireTool("make", package: "make")
        let library = root.appendingPathComponent(".build/debug/libringlet_device.so").path
        guard FileManager.default.fileExists(atPath: library) else {
            throw TestSupportError("""
                \(library) is missing: build the C library first (swift build --product ringlet_device \
                --product ringlet_device_static; scripts/test.sh does)
                """)
        }
        let folder = try temporaryFolder(prefix: "ringlet-make")
        let make = try ChildProcess("make", arguments: ["-C", example.path, "-B", target], folder: folder, name: "make")
        guard await make.wait(timeout: 300), make.terminationStatus == 0 else {
            throw TestSupportError("make \(target) failed:\n\(make.outputText.suffix(2000))\n\(make.errorText.suffix(2000))")
        }
        return example.appendingPathComponent(target).path
    }

    /// The media files: the bundled clip (H.264 Annex B) and 2 s of the 440 Hz tone in µ-law.
    static func mediaFiles(_ folder: URL) throws -> (video: String, audio: String) {
        let video = root.appendingPathComponent("Sources/CRingletSampleClip/include/clip-640x480.h264").path
        let audio = folder.appendingPathComponent("tone.ulaw")
        try Data((0..<100).flatMap { SampleTone.muLaw(frame: $0) }).write(to: audio)
        return (video, audio.path)
    }

    /// Runs `argv` (the doorbell, or valgrind with it) in the lab's namespace against a phone that answers;
    /// returns the process, the phone's statistics and the callback lines.
    /// `media` replaces the files (each a path, a FIFO or "-"); `command` turns the doorbell's argv into what runs
    /// (a shell pipeline); `record` is where the phone writes what it receives.
    static func call(_ lab: CallLab, program: [String], name: String, seconds: Int, timeout: Double,
                     media: (video: String, audio: String)? = nil, command: ([String]) -> [String] = { $0 },
                     record: String? = nil) async throws
        -> (ChildProcess, RingletPhone.Statistics, [String])
    {
        let user = try await lab.user("dora-\(name)")
        let sn = "C_DOOR-\(UInt16.random(in: 0...UInt16.max))"
        let ticket = try await lab.provision(sn: sn, authorizedBy: [user])
        let phone = try await lab.phone(user, policy: .answer(after: .milliseconds(300))) { $0.recordFolder = record }
        let (video, audio) = try media ?? mediaFiles(lab.folder)
        let arguments = program + [
            lab.base, sn, lab.modelId, lab.appId, lab.folder.appendingPathComponent("c-\(sn)").path, ticket, user.openId,
            video, audio, String(seconds),
        ]
        let process = try ChildProcess("ip", arguments: Array(lab.namespace.exec(command(arguments)).dropFirst()),
                                       folder: lab.folder, name: name)
        let finished = await process.wait(timeout: timeout)
        let stats = await phone.phone.statistics()
        await phone.stop()
        guard finished else {
            await process.stop()
            throw TestSupportError("\(name) did not finish in \(timeout) s:\n\(process.outputText.suffix(3000))\n\(process.errorText.suffix(3000))")
        }
        let callbacks = process.outputText.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "] cb ") else { return nil }
            return String(line[r.upperBound...])
        }
        return (process, stats, callbacks)
    }

    /// The call's callbacks by name (the command written out), frames and watermarks left out.
    static func order(_ callbacks: [String]) -> [String] {
        callbacks.compactMap { c -> String? in
            let words = c.split(separator: " ")
            guard let name = words.first.map(String.init) else { return nil }
            switch name {
            case "iv_avt_recv_command_cb":
                let command = words.first { $0.hasPrefix("command=") }.map { String($0.dropFirst(8)) } ?? "?"
                return command == "REQ_IFRAME" ? nil : command
            case "iv_avt_get_av_enc_info_cb", "iv_avt_start_real_play_cb", "iv_avt_stop_recv_stream_cb",
                 "iv_avt_stop_real_play_cb", "iv_avt_get_peer_outer_net_cb":
                return name
            case "iv_avt_start_recv_stream_cb":
                return "start_recv"
            default:
                return nil
            }
        }
    }

    @Test("the C doorbell, built with gcc against libringlet_device.so: registers, calls, streams H.264 and G.711 from files, receives, hangs up; callbacks in the seed's order")
    func doorbellShared() async throws {
        let program = try await Self.build("doorbell")
        try await CallLab.with { lab in
            let (process, stats, callbacks) = try await Self.call(lab, program: [program], name: "doorbell", seconds: 4,
                                                                  timeout: 120)
            #expect(process.terminationStatus == 0, "\(process.outputText.suffix(3000))\n\(process.errorText.suffix(2000))")
            #expect(Self.order(callbacks) == [
                "CALL_ANSWER", "iv_avt_get_av_enc_info_cb", "iv_avt_start_real_play_cb", "iv_avt_get_peer_outer_net_cb",
                "start_recv", "start_recv", "iv_avt_stop_recv_stream_cb", "iv_avt_stop_real_play_cb",
            ], "\(callbacks)")
            #expect(callbacks.contains { $0.hasPrefix("iv_avt_notify_cb event=P2P_PEER_READY") })
            #expect(callbacks.contains { $0.hasPrefix("online_cb") })
            #expect(stats.videoReceived >= 20 && stats.audioReceived >= 80, "the phone got the files: \(stats)")
            #expect(process.outputText.contains("iv_avt_voip_register 0"))
            #expect(process.outputText.contains("iv_sys_exit 0"))
        }
    }

    @Test("the C doorbell streams live: one ffmpeg encodes its 320×240 test pattern in real time into a FIFO and µ-law into the doorbell's standard input; the phone receives the live pictures (not the 640×480 file) and ffmpeg decodes them")
    func doorbellLive() async throws {
        _ = try requireTool("ffmpeg", package: "ffmpeg")
        _ = try requireTool("ffprobe", package: "ffmpeg")
        let program = try await Self.build("doorbell")
        try await CallLab.with { lab in
            let fifo = lab.folder.appendingPathComponent("camera.h264").path
            guard mkfifo(fifo, 0o600) == 0 else { throw TestSupportError("mkfifo failed: \(errno)") }
            let received = lab.folder.appendingPathComponent("phone-received")
            // Bounded: ffmpeg stops after 90 s, or when the doorbell closes the FIFO and the pipe. -tune zerolatency
            // with 4 threads: x264 cuts each picture into 3 slices, which the doorbell must send as one frame.
            let producer = "ffmpeg -nostdin -hide_banner -loglevel error -re -t 90 -f lavfi -i testsrc=size=320x240:rate=15 "
                + "-f lavfi -i sine=frequency=440:sample_rate=8000 -map 0:v -c:v libx264 -profile:v baseline "
                + "-tune zerolatency -threads 4 "
                + "-pix_fmt yuv420p -g 15 -bf 0 -f h264 -y \(fifo) -map 1:a -ac 1 -ar 8000 -f mulaw -"
            let (process, stats, callbacks) = try await Self.call(
                lab, program: [program], name: "doorbell-live", seconds: 5, timeout: 120, media: (fifo, "-"),
                command: { argv in ["sh", "-c", producer + " | " + argv.map(shellQuoted).joined(separator: " ")] },
                record: received.path)
            #expect(process.terminationStatus == 0, "\(process.outputText.suffix(3000))\n\(process.errorText.suffix(2000))")
            #expect(Self.order(callbacks).first == "CALL_ANSWER" && Self.order(callbacks).last == "iv_avt_stop_real_play_cb",
                    "\(callbacks)")
            #expect(stats.videoReceived >= 30 && stats.audioReceived >= 100, "the phone got the live media: \(stats)")
            #expect(!process.outputText.contains("input ended"), "\(process.outputText.suffix(2000))")
            // "sent video=N audio=M refused=R …": paced at 15 fps and 50 frames/s over the call's 5 s (less the
            // encoder's start-up delay, plus what was kept before the call), nothing refused.
            let sent = try #require(process.outputText.split(separator: "\n").first { $0.contains("] sent video=") })
            print("doorbell-live: \(sent)")
            let counts = Dictionary(uniqueKeysWithValues: sent.split(separator: " ").compactMap { word -> (String, Int)? in
                let pair = word.split(separator: "=")
                return pair.count == 2 ? (String(pair[0]), Int(pair[1]) ?? -1) : nil
            })
            #expect((50...90).contains(counts["video"] ?? 0) && (200...300).contains(counts["audio"] ?? 0)
                    && counts["refused"] == 0, "\(sent)")
            let callId = try #require(stats.callId)
            let recording = received.appendingPathComponent("\(callId).h264").path
            let probe = try ChildProcess("ffprobe", arguments: [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", recording,
            ], folder: lab.folder, name: "ffprobe")
            #expect(await probe.wait(timeout: 60))
            #expect(probe.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "320,240",
                    "the live pattern's size, not the clip's: \(probe.outputText) \(probe.errorText)")
            let (frames, log) = try await ffmpegDecodedFrames(recording, format: "h264", folder: lab.folder)
            // One picture per frame sent (slices grouped): as many pictures decoded as frames sent, bar a few lost.
            #expect(frames >= 30 && frames * 10 >= (counts["video"] ?? 0) * 9,
                    "ffmpeg decoded \(frames) frames of \(sent): \(log)")
        }
    }

    @Test("the same doorbell linked with the static archive (libringlet_device_static.a and the Swift runtime's archives) makes the same call")
    func doorbellStatic() async throws {
        let program = try await Self.build("doorbell-static")
        try await CallLab.with { lab in
            let (process, stats, callbacks) = try await Self.call(lab, program: [program], name: "doorbell-static",
                                                                  seconds: 3, timeout: 120)
            #expect(process.terminationStatus == 0, "\(process.outputText.suffix(3000))")
            #expect(Self.order(callbacks).first == "CALL_ANSWER" && Self.order(callbacks).last == "iv_avt_stop_real_play_cb")
            #expect(stats.videoReceived >= 15 && stats.audioReceived >= 50, "\(stats)")
        }
    }

    @Test("valgrind memcheck on the doorbell's whole call: no invalid read or write, no definite leak from the C side's use of the API")
    func valgrind() async throws {
        _ = try requireTool("valgrind", package: "valgrind")
        let program = try await Self.build("doorbell")
        try await CallLab.with { lab in
            let log = lab.folder.appendingPathComponent("memcheck.log").path
            // Valgrind 3.19 cannot read the DWARF 5 of a Swift debug build ("ensure_valid failed … Giving up"): it
            // runs the program against a copy of the library without debug sections (symbols stay).
            let stripped = lab.folder.appendingPathComponent("vglib")
            try FileManager.default.createDirectory(at: stripped, withIntermediateDirectories: true)
            let objcopy = try ChildProcess("objcopy", arguments: [
                "--strip-debug", Self.root.appendingPathComponent(".build/debug/libringlet_device.so").path,
                stripped.appendingPathComponent("libringlet_device.so").path,
            ], folder: lab.folder, name: "objcopy")
            #expect(await objcopy.wait(timeout: 120) && objcopy.terminationStatus == 0, "\(objcopy.errorText)")
            let (process, stats, callbacks) = try await Self.call(
                lab, program: ["env", "LD_LIBRARY_PATH=\(stripped.path)", "valgrind", "--tool=memcheck",
                               "--leak-check=full", "--show-leak-kinds=definite", "--num-callers=30",
                               "--log-file=\(log)", program],
                name: "valgrind", seconds: 4, timeout: 600)
            let report = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(process.terminationStatus == 0, "\(process.outputText.suffix(3000))")
            #expect(Self.order(callbacks).last == "iv_avt_stop_real_play_cb", "\(callbacks)")
            #expect(stats.videoReceived > 0 && stats.audioReceived > 0, "\(stats)\n\(process.outputText.suffix(3000))")
            let findings = Memcheck(report)
            // For the record (docs/device-c-api.md): what memcheck said about the whole process.
            print(report.split(separator: "\n").filter {
                $0.contains("ERROR SUMMARY") || $0.contains("definitely lost:") || $0.contains("possibly lost:")
                    || $0.contains("still reachable:") || $0.contains("total heap usage")
            }.joined(separator: "\n"))
            let kinds = Dictionary(grouping: findings.records.compactMap { r -> String? in
                let head = String(r.prefix { $0 != "\n" })
                return head.hasPrefix("Conditional jump") || head.hasPrefix("Use of uninitialised")
                    || head.hasPrefix("Invalid") || head.hasPrefix("Syscall param") ? head : nil
            }, by: { $0 }).mapValues(\.count)
            print("memcheck error kinds: \(kinds)")
            #expect(!findings.summary.isEmpty, "memcheck wrote its summary: \(report.suffix(2000))")
            #expect(findings.invalidAccesses.isEmpty, "\(findings.invalidAccesses.joined(separator: "\n\n"))")
            #expect(findings.definiteLeaksFromC.isEmpty, "\(findings.definiteLeaksFromC.joined(separator: "\n\n"))")
        }
    }
}

/// What a memcheck log says: its error records, split.
struct Memcheck {
    let records: [String]
    let summary: String

    init(_ log: String) {
        // Records are blocks of "==PID== " lines separated by a bare "==PID== " line.
        var blocks: [String] = []
        var current: [String] = []
        for line in log.split(separator: "\n", omittingEmptySubsequences: false) {
            let body = line.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            if body.isEmpty {
                if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(body)
            }
        }
        if !current.isEmpty { blocks.append(current.joined(separator: "\n")) }
        records = blocks
        summary = blocks.first { $0.hasPrefix("ERROR SUMMARY") || $0.contains("ERROR SUMMARY:") } ?? ""
    }

    /// Invalid reads and writes, invalid frees, uses of uninitialised values in the C program or the API's entry
    /// points.
    var invalidAccesses: [String] {
        records.filter { $0.hasPrefix("Invalid read") || $0.hasPrefix("Invalid write") || $0.hasPrefix("Invalid free") }
    }

    /// Blocks definitely lost whose allocation stack passes through the C program (doorbell.c) — the C side's
    /// use of the API.
    var definiteLeaksFromC: [String] {
        records.filter { $0.contains("definitely lost") && $0.contains("doorbell.c") }
    }
}

/// `text` as one word for `sh`.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
