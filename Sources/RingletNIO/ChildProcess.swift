#if canImport(Glibc)
import Glibc

/// A child process started with `posix_spawnp`, optionally leading its own process group so that it and all its
/// descendants (Chromium's zygote, renderers, GPU process) can be stopped together by pid.
///
/// Shell-only helper (no Foundation); shared with the interop tests through `package` access.
package struct ChildProcess: Sendable {
    /// The child's pid (and process group id when started with `newProcessGroup`).
    package let pid: pid_t
    /// Whether the child leads its own process group.
    package let ownsProcessGroup: Bool

    /// Starts `argv[0]` (searched in PATH) with `argv`.
    ///
    /// - Parameters:
    ///   - outputPath: a file that receives stdout and stderr (truncated), or nil to discard them.
    ///   - newProcessGroup: put the child in a new process group whose id is its pid.
    package static func spawn(_ argv: [String], outputPath: String? = nil, newProcessGroup: Bool = false)
        throws(NIOShellError) -> ChildProcess
    {
        try spawn(argv, outputPath: outputPath, newProcessGroup: newProcessGroup, standardInput: nil)
    }

    /// Starts `argv` with its standard input the read end of a pipe whose write end is returned (close-on-exec):
    /// the child sees end of input when the caller closes it, or when the caller's process ends however it ends.
    /// A wrapper that stops its own children at end of input then never outlives the caller.
    package static func spawnHeld(_ argv: [String], outputPath: String? = nil)
        throws(NIOShellError) -> (child: ChildProcess, input: Int32)
    {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw NIOShellError(.commandFailed, "pipe failed: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[0]) }
        do {
            let child = try spawn(argv, outputPath: outputPath, newProcessGroup: false, standardInput: ends[0])
            return (child, ends[1])
        } catch {
            close(ends[1])
            throw error
        }
    }

    private static func spawn(_ argv: [String], outputPath: String?, newProcessGroup: Bool, standardInput: Int32?)
        throws(NIOShellError) -> ChildProcess
    {
        guard !argv.isEmpty else { throw NIOShellError(.commandFailed, "empty command") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let out = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        // Descriptors without O_CLOEXEC (sockets of the parent) must not leak into the child: a leaked UDP
        // socket stays bound for as long as Chromium runs.
        if let closeFrom = Self.addCloseFrom {
            _ = closeFrom(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags))
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, &cArgs, environ)
        guard rc == 0 else {
            throw NIOShellError(.commandFailed, "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid, ownsProcessGroup: newProcessGroup)
    }

    /// glibc ≥ 2.34 `posix_spawn_file_actions_addclosefrom_np`, looked up at run time (hidden without _GNU_SOURCE).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(
            symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Runs a command to completion and returns its exit status (or 128 + signal).
    package static func run(_ argv: [String], outputPath: String? = nil) throws(NIOShellError) -> Int32 {
        let child = try spawn(argv, outputPath: outputPath)
        return child.waitBlocking()
    }

    /// Blocks until the child exits; its exit status, or 128 + the terminating signal.
    package func waitBlocking() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return Self.decode(status)
    }

    /// The exit status if the child has exited (reaping it), nil while it runs.
    package func exitStatus() -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == pid ? Self.decode(status) : nil
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Sends `signal` to the child's process group (or only the child when it has none of its own).
    package func signal(_ signal: Int32) {
        _ = ownsProcessGroup ? kill(-pid, signal) : kill(pid, signal)
    }

    /// ``terminate(graceMilliseconds:)`` for async code: the task sleeps between looks, no thread waits.
    package func terminate(graceMilliseconds grace: Int = 2000) async {
        signal(SIGTERM)
        var waited = 0
        while waited < grace {
            if exitStatus() != nil {
                signal(SIGKILL)  // stragglers of the group
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
            waited += 50
        }
        signal(SIGKILL)
        while exitStatus() == nil { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// SIGTERM, up to `grace` milliseconds for an exit, then SIGKILL to the whole group; reaps the child. Blocks
    /// its thread: for synchronous code on a thread of its own (the bench commands); async code awaits the
    /// async form.
    package func terminate(graceMilliseconds grace: Int = 2000) {
        signal(SIGTERM)
        var waited = 0
        while waited < grace {
            if exitStatus() != nil {
                signal(SIGKILL)  // stragglers of the group
                return
            }
            usleep(50_000)
            waited += 50
        }
        signal(SIGKILL)
        _ = waitBlocking()
    }
}
#endif
