import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import RingletCore
import RingletNIO
import RingletPhone
import RingletTestSupport
import RingletWebTestSupport
import Testing

/// Everything one attack runs against: a private network namespace with only `lo` up, a real `ringlet serve
/// --dev` process in it (with a known TURN secret from a file, so the test can make TURN credentials), and event
/// loops in the namespace for the attacking clients and the headless phone. Attackers bind to other loopback
/// addresses (127.0.0.2 …, all of 127/8 is `lo`) to look like many clients.
final class SecurityLab: @unchecked Sendable {
    // @unchecked Sendable: set up once in `with`; the devices list is touched only by the test's task.
    let namespace: NetworkNamespace
    let group: MultiThreadedEventLoopGroup
    let folder: URL
    let server: DevServer
    /// The TURN REST secret the server reads from its `--turn-secret-file`.
    static let turnSecret = "security-lab-turn-secret"
    private var devices: [DeviceProcess] = []
    private var phones: [PhoneHandle] = []

    /// The server's HTTP and TURN ports (in the namespace, on 127.0.0.1).
    static let httpPort = 8080
    static let turnPort = 3478

    private init(namespace: NetworkNamespace, group: MultiThreadedEventLoopGroup, folder: URL, server: DevServer) {
        self.namespace = namespace
        self.group = group
        self.folder = folder
        self.server = server
    }

    /// Runs `body` with a fresh lab (`ringlet serve --dev --allow-loopback-peers --turn-secret-file …`, plus
    /// `limits` as a JSON configuration file when given) and tears it all down, bounded, whatever happens.
    static func with<R>(limits: [String: Int] = [:], _ body: (SecurityLab) async throws -> R) async throws -> R {
        guard geteuid() == 0 else { throw TestSupportError("the security tests need root (ip netns)") }
        raiseDescriptorLimit()
        let namespace = try NetworkNamespace.create(name: "ringlet-sec-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        let folder: URL
        do {
            folder = try temporaryFolder(prefix: "ringlet-security")
        } catch {
            namespace.delete()
            throw error
        }
        var lab: SecurityLab?
        do {
            let group = try await namespace.makeEventLoopGroup(numberOfThreads: 2)
            let secretFile = folder.appendingPathComponent("turn-secret")
            try Data((turnSecret + "\n").utf8).write(to: secretFile)
            // Loopback peers allowed (everything here is on lo); the tests show the server's own ports stay refused.
            var flags = ["--turn-secret-file", secretFile.path, "--allow-loopback-peers"]
            if !limits.isEmpty {
                let config = folder.appendingPathComponent("config.json")
                try JSONSerialization.data(withJSONObject: ["limits": limits]).write(to: config)
                flags += ["--config", config.path]
            }
            let server = try await DevServer(namespace: namespace, folder: folder, extra: flags)
            let made = SecurityLab(namespace: namespace, group: group, folder: folder, server: server)
            lab = made
            let result = try await body(made)
            await made.teardown()
            return result
        } catch {
            let log = lab.map { "server log:\n\($0.server.log.suffix(4000))\n" + $0.devices.map { $0.describe() }.joined(separator: "\n") } ?? ""
            if let lab { await lab.teardown() } else {
                namespace.delete()
                try? FileManager.default.removeItem(at: folder)
            }
            throw TestSupportError("\(error)\n\(log)")
        }
    }

    private func teardown() async {
        for phone in phones { await phone.stop() }
        for device in devices { await device.stop() }
        await server.stop()
        try? await group.shutdownGracefully()
        namespace.delete()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The attacking test opens thousands of sockets: its soft descriptor limit goes up to the hard one.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// The server process's id (`ip netns exec` execs the server in place, so it is the child's id).
    var serverPID: pid_t { server.pid }

    // MARK: People and devices

    /// A user of the demo app with a session token (as the app backend would make them).
    struct User {
        let id: String
        let openId: String
        let token: String
    }

    /// Makes a user and a session of `ttlSeconds`.
    func user(_ name: String, ttlSeconds: Int = 3600) async throws -> User {
        let user = try await server.request("POST", "/v1/apps/\(server.appID)/users", json: ["name": name])
        guard user.status == 201 else { throw TestSupportError("user: \(user.status) \(user.json)") }
        let session = try await server.request("POST", "/v1/apps/\(server.appID)/users/\(user.string("id"))/sessions",
                                               json: ["ttlSeconds": ttlSeconds])
        guard session.status == 201 else { throw TestSupportError("session: \(session.status) \(session.json)") }
        return User(id: user.string("id"), openId: user.string("openId"), token: session.string("token"))
    }

    /// Starts a `ringlet device` for `sn` registered with a fresh ticket, which `users` also authorize.
    func device(sn: String, authorizedBy users: [User]) async throws -> (DeviceProcess, String) {
        let ticket = try await server.issueTicket(sn: sn)
        for user in users {
            let answer = try await server.request("POST", "/v1/me/authorizations", .user(user.token),
                                                  json: ["sn": sn, "ticket": ticket])
            guard answer.status == 200 else { throw TestSupportError("authorize: \(answer.status) \(answer.json)") }
        }
        let device = try DeviceProcess(server: server, namespace: namespace, folder: folder, sn: sn, ticket: ticket,
                                       arguments: [], name: "device-\(devices.count)")
        devices.append(device)
        try await device.waitUntilReady(timeout: .seconds(60))
        return (device, ticket)
    }

    /// A headless phone for `user` that answers every call.
    func phone(_ user: User) async throws -> PhoneHandle {
        var configuration = RingletPhone.Configuration(server: server.base, token: user.token)
        configuration.eventLoopGroup = group
        configuration.answerPolicy = .answer(after: .milliseconds(100))
        let handle = PhoneHandle(phone: try RingletPhone(configuration: configuration))
        phones.append(handle)
        guard await poll(seconds: 30, { handle.online }) else { throw TestSupportError("the phone did not come online") }
        return handle
    }

    /// The call that runs beside an attack: a device calls a user's phone, both send the sample clip and tone,
    /// and both receive them.
    func callBeside(name: String = "beside") async throws -> CallBeside {
        let user = try await user("\(name)-user")
        let phone = try await phone(user)
        let (device, _) = try await device(sn: "SEC_\(name)_\(UInt32.random(in: 0...UInt32.max))", authorizedBy: [user])
        let mark = device.mark
        try device.send("call \(user.openId)")
        try await device.waitFor(command: "CALL_ANSWER", after: mark, timeout: .seconds(30))
        let call = CallBeside(user: user, phone: phone, device: device)
        guard await poll(seconds: 60, { await call.frames().phoneVideo >= 15 && call.deviceFrames().video >= 15 }) else {
            throw TestSupportError("the call beside never got media both ways: phone \(await call.frames()) \(device.describe())")
        }
        return call
    }
}

/// A call in progress with media both ways, and how many frames each side has received.
struct CallBeside {
    let user: SecurityLab.User
    let phone: PhoneHandle
    let device: DeviceProcess

    struct Frames: CustomStringConvertible {
        var phoneVideo: Int
        var phoneAudio: Int
        var deviceVideo: Int
        var deviceAudio: Int
        var description: String {
            "phone received \(phoneVideo) video / \(phoneAudio) audio, device received \(deviceVideo) video / \(deviceAudio) audio"
        }
    }

    /// Frames received by the device, from its last status line (once a second).
    func deviceFrames() -> (video: Int, audio: Int) {
        let status = device.lastStatus
        return ((status["videoReceived"] as? Int) ?? 0, (status["audioReceived"] as? Int) ?? 0)
    }

    func frames() async -> Frames {
        let stats = await phone.phone.statistics()
        let device = deviceFrames()
        return Frames(phoneVideo: stats.videoReceived, phoneAudio: stats.audioReceived, deviceVideo: device.video,
                      deviceAudio: device.audio)
    }

    /// Waits until, after `before`, both sides received at least `video` more video frames and `audio` more audio
    /// frames; returns the frames then. Media that stopped fails the test with the counts.
    func expectMediaKeepsFlowing(since before: Frames, video: Int = 30, audio: Int = 50,
                                 _ attack: String) async -> Frames {
        var now = await frames()
        let flowing = await poll(seconds: 45) {
            now = await frames()
            return now.phoneVideo - before.phoneVideo >= video && now.deviceVideo - before.deviceVideo >= video
                && now.phoneAudio - before.phoneAudio >= audio && now.deviceAudio - before.deviceAudio >= audio
        }
        #expect(flowing, "the call beside \(attack) lost its media: before \(before), now \(now)")
        return now
    }
}
