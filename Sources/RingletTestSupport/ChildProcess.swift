import Foundation
import Glibc

/// A program a test started (ffmpeg, openssl, coturn, a browser), with every wait bounded and only this process
/// (or, with ``Options/ownProcessGroup``, its own process group) ever signalled.
///
/// It is started with `posix_spawn`: standard output and standard error go to the files `<name>.stdout` and
/// `<name>.stderr` in a folder (read back with ``outputText`` and ``errorText``); standard input is `/dev/null`,
/// or a pipe held open until ``stop()`` (tools such as `openssl s_server` end their session at end of input).
/// The child starts with no blocked signals and default dispositions for the usual termination signals, whatever
/// the test runner's threads block, so SIGTERM reaches it. Descriptors other than 0, 1 and 2 are not inherited.
///
/// The process is reaped by this object (`waitpid` on its own pid only) the first time it is seen to have
/// exited. In its own process group, the rest of the group is killed (SIGKILL) just before the leader is reaped,
/// while the leader's pid still reserves the group id; so helpers a browser forks never outlive it.
///
/// Releasing the object calls ``stop()``. Not thread-safe: use it from one test.
public final class ChildProcess {
    /// How a process is started and stopped.
    public struct Options: Sendable {
        /// Variables added to (or replacing those of) the test process's environment. Default: none.
        public var environment: [String: String]
        /// The working directory; nil (the default) keeps the test process's.
        public var currentDirectory: URL?
        /// Whether standard input is a pipe held open until ``ChildProcess/stop()`` rather than `/dev/null`.
        /// Default: false.
        public var keepStandardInputOpen: Bool
        /// Whether the process starts in a new process group of its own (its pid is the group id), so that
        /// ``ChildProcess/stop()`` signals the whole group: for programs that fork helpers (a browser).
        /// Default: false.
        public var ownProcessGroup: Bool
        /// Whether ``ChildProcess/stop()`` first sends SIGINT and waits ``grace`` (ffmpeg finishes its files on
        /// SIGINT, as on `q`). Default: false.
        public var interruptFirst: Bool
        /// Seconds ``ChildProcess/stop()`` waits after SIGINT and after SIGTERM before the next signal.
        /// Default: 3.
        public var grace: Double

        /// Options with the documented defaults, changed by the arguments given.
        public init(
            environment: [String: String] = [:], currentDirectory: URL? = nil, keepStandardInputOpen: Bool = false,
            ownProcessGroup: Bool = false, interruptFirst: Bool = false, grace: Double = 3
        ) {
            self.environment = environment
            self.currentDirectory = currentDirectory
            self.keepStandardInputOpen = keepStandardInputOpen
            self.ownProcessGroup = ownProcessGroup
            self.interruptFirst = interruptFirst
            self.grace = grace
        }
    }

    /// The process id.
    public let pid: pid_t
    /// How it was started and how it stops.
    public let options: Options
    /// The file its standard output goes to.
    public let outputFile: URL
    /// The file its standard error goes to.
    public let errorFile: URL
    /// The write end of the standard input pipe (``Options/keepStandardInputOpen``), or -1.
    private var standardInput: Int32
    /// The raw `waitpid` status once reaped.
    private var waitStatus: Int32?

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - executable: a path, or a name looked up with ``which(_:)``.
    ///   - arguments: the arguments after the program name.
    ///   - folder: where the output files go; nil makes a fresh ``temporaryFolder(prefix:)`` (left in place).
    ///   - name: the output files' base name; default, the executable's file name.
    ///   - options: environment, directory, standard input, process group and stopping.
    /// - Throws: ``TestSupportError`` if the executable is not found or cannot be started; file errors.
    public init(
        _ executable: String, arguments: [String] = [], folder: URL? = nil, name: String? = nil,
        options: Options = Options()
    ) throws {
        guard let path = which(executable) else {
            throw TestSupportError("\(executable) is not installed or not on PATH")
        }
        let name = name ?? URL(fileURLWithPath: path).lastPathComponent
        let folder = try folder ?? temporaryFolder(prefix: "ringlet-\(name)")
        outputFile = folder.appendingPathComponent("\(name).stdout")
        errorFile = folder.appendingPathComponent("\(name).stderr")
        self.options = options

        var pipeEnds: [Int32] = [-1, -1]
        if options.keepStandardInputOpen {
            guard pipe(&pipeEnds) == 0 else { throw TestSupportError("pipe failed: errno \(errno)") }
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if options.keepStandardInputOpen {
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)  // dup2 clears close-on-exec on 0
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let closeFrom = GNUSpawn.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let directory = options.currentDirectory {
            guard let addChdir = GNUSpawn.addChdir else {
                throw TestSupportError("posix_spawn_file_actions_addchdir_np is missing (glibc < 2.29)")
            }
            _ = addChdir(&actions, directory.path)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if options.ownProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var environment = ProcessInfo.processInfo.environment
        environment.merge(options.environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        if options.keepStandardInputOpen { close(pipeEnds[0]) }
        guard result == 0 else {
            if options.keepStandardInputOpen { close(pipeEnds[1]) }
            throw TestSupportError("posix_spawn(\(path)) failed: errno \(result)")
        }
        self.pid = pid
        standardInput = pipeEnds[1]
    }

    deinit {
        stop()
        if standardInput >= 0 { close(standardInput) }
    }

    /// Whether the process has not exited yet. Seeing it exited reaps it (and kills the rest of its own group).
    public var isRunning: Bool {
        guard waitStatus == nil else { return false }
        var info = siginfo_t()
        // WNOWAIT: the exited leader stays a zombie, so its pid (and group id) cannot be reused until reaped.
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info.si_signo == SIGCHLD else {
            return true
        }
        if options.ownProcessGroup { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        if waitpid(pid, &status, 0) == pid { waitStatus = status }
        return false
    }

    /// The exit code once the process has exited (128 + the signal number if a signal ended it, as a shell
    /// reports it); nil while it runs.
    public var terminationStatus: Int32? {
        guard !isRunning, let status = waitStatus else { return nil }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Waits up to `timeout` seconds for the process to exit; returns whether it did. Blocks the thread: from
    /// async code the `async` overload is used, which leaves the cooperative pool free while it waits.
    @discardableResult
    public func wait(timeout: Double) -> Bool {
        Self.poll(timeout: timeout, pause: { usleep(10_000) }) { isRunning ? nil : true } ?? false
    }

    /// Waits up to `timeout` seconds for the process to exit, sleeping the task between looks; returns whether
    /// it did.
    @discardableResult
    public func wait(timeout: Double) async -> Bool {
        await Self.poll(timeout: timeout, pause: .milliseconds(10)) { isRunning ? nil : true } ?? false
    }

    /// Stops the process, each step bounded: SIGINT and a wait of ``Options/grace`` if
    /// ``Options/interruptFirst``; SIGTERM and a wait of ``Options/grace``; SIGKILL and a wait of up to 3 s.
    /// Signals go to this pid, or to its group with ``Options/ownProcessGroup``. Does nothing once it has exited.
    /// Closes the standard input pipe, if any, first. Blocks the thread (the `async` overload does not).
    public func stop() {
        for step in beginStop() {
            guard isRunning else { return }
            send(step.signal)
            if wait(timeout: step.wait) { return }
        }
    }

    /// ``stop()`` for async code: the same steps, sleeping the task while it waits.
    public func stop() async {
        for step in beginStop() {
            guard isRunning else { return }
            send(step.signal)
            if await wait(timeout: step.wait) { return }
        }
    }

    /// Closes standard input; the signals ``stop()`` sends, each with how long it waits after it.
    private func beginStop() -> [(signal: Int32, wait: Double)] {
        if standardInput >= 0 {
            close(standardInput)
            standardInput = -1
        }
        return (options.interruptFirst ? [(SIGINT, options.grace)] : []) + [(SIGTERM, options.grace), (SIGKILL, 3)]
    }

    /// Writes `line` and a newline to the process's standard input (``Options/keepStandardInputOpen``).
    /// - Throws: ``TestSupportError`` when standard input is not a pipe or the write fails.
    public func writeLine(_ line: String) throws {
        guard standardInput >= 0 else { throw TestSupportError("standard input is not kept open") }
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(standardInput, $0.baseAddress! + written, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw TestSupportError("writing to standard input failed (errno \(errno))") }
            written += n
        }
    }

    /// Sends `signal` to the process (or its group), unless it has been reaped: a reaped pid may belong to
    /// someone else.
    public func send(_ signal: Int32) {
        guard waitStatus == nil else { return }
        kill(options.ownProcessGroup ? -pid : pid, signal)
    }

    /// All it has written to standard output so far.
    public var outputText: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    /// The last 6000 characters it has written to standard error (for failure messages).
    public var errorText: String {
        String(((try? String(contentsOf: errorFile, encoding: .utf8)) ?? "").suffix(6000))
    }

    /// Waits up to `timeout` seconds for a line containing `marker` in its standard output, then in its standard
    /// error; returns that whole line, or nil on timeout. Blocks the thread (the `async` overload does not).
    public func waitForLine(containing marker: String, timeout: Double) -> String? {
        Self.poll(timeout: timeout, pause: { usleep(20_000) }) { line(containing: marker) }
    }

    /// ``waitForLine(containing:timeout:)`` for async code: sleeps the task between looks.
    public func waitForLine(containing marker: String, timeout: Double) async -> String? {
        await Self.poll(timeout: timeout, pause: .milliseconds(20)) { line(containing: marker) }
    }

    /// The first line containing `marker` written so far to standard output, else to standard error.
    private func line(containing marker: String) -> String? {
        for file in [outputFile, errorFile] {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
        }
        return nil
    }

    /// Looks with `check` until it gives a value or `timeout` seconds have passed (one last look then).
    private static func poll<T>(timeout: Double, pause: () -> Void, _ check: () -> T?) -> T? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, timeout) * 1000))
        while ContinuousClock.now < deadline {
            if let value = check() { return value }
            pause()
        }
        return check()
    }

    /// ``poll(timeout:pause:_:)`` sleeping the task.
    private static func poll<T>(timeout: Double, pause: Duration, _ check: () -> T?) async -> T? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, timeout) * 1000))
        while ContinuousClock.now < deadline {
            if let value = check() { return value }
            try? await Task.sleep(for: pause)
        }
        return check()
    }
}

/// glibc's `posix_spawn` extensions that Swift's Glibc module does not import (they need `_GNU_SOURCE`), looked
/// up at run time.
private enum GNUSpawn {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29).
    static let addChdir = symbol("posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34).
    static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(dlopen(nil, RTLD_NOW), name) }
}
