import CRingletSockets
#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// What an ``EpollThread`` calls, always on its thread.
protocol EpollThreadHandler: AnyObject, Sendable {
    /// `fd` (added with ``EpollThread/watch(_:)``) is readable.
    func readable(_ fd: Int32)
    /// The end of one turn (after every ready descriptor and queued task): flush, run timers.
    func turnEnded()
    /// How long the next wait may last, in milliseconds (0: poll; -1: until something happens).
    func waitMilliseconds() -> Int32
    /// The loop has stopped; the last call before the thread ends (tasks still queued run after it).
    func loopStopped()
}

/// One thread that waits in epoll for readable descriptors and runs tasks handed over from other threads (woken
/// through an eventfd). Its handler keeps all its mutable state on this thread, so the data path takes no locks.
///
/// One turn: wait (at most ``EpollThreadHandler/waitMilliseconds()``), call `readable` for each ready descriptor
/// (level-triggered, so a descriptor with more data waiting is reported again next turn), run the queued tasks,
/// then `turnEnded`. ``stop()`` ends the loop after the current turn; tasks queued until the thread really ends
/// still run (after `loopStopped`), and later ``execute(_:)`` calls are refused.
final class EpollThread: @unchecked Sendable {
    // @unchecked Sendable: the descriptors are immutable; `queue` is locked; `handler` and `stopping` are touched
    // only on the thread (`handler` is set before the thread starts and cleared by it at the end).
    typealias Task = @Sendable () -> Void

    private struct Queue {
        var tasks: [Task] = []
        var woken = false
        var ended = false
    }

    /// Ready descriptors handled per wait.
    static let eventsPerWait = 64

    private let epollFD: Int32
    private let wakeFD: Int32
    private let queue = NIOLockedValueBox(Queue())
    private var handler: (any EpollThreadHandler)?
    private var stopping = false
    private var name = "ringlet-epoll"

    /// Makes the epoll set and the wake-up eventfd (no thread yet: see ``start(name:handler:)``).
    /// - Throws: `socketFailed` if the kernel refuses either.
    init() throws(NIOShellError) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw NIOShellError(.socketFailed, "epoll_create1: errno \(errno)") }
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else {
            let error = errno
            close(epoll)
            throw NIOShellError(.socketFailed, "eventfd: errno \(error)")
        }
        epollFD = epoll
        wakeFD = wake
        guard watch(wake) else {
            close(epoll)
            close(wake)
            throw NIOShellError(.socketFailed, "epoll_ctl(eventfd): errno \(errno)")
        }
    }

    /// Adds `fd` to the descriptors watched for reading (level-triggered). False if epoll refuses it.
    @discardableResult
    func watch(_ fd: Int32) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = fd
        return epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// Stops watching `fd` (call before closing it).
    func unwatch(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    /// Runs `task` on the thread during its next turn. Returns false, dropping the task, once the thread has
    /// ended (or was never started).
    @discardableResult
    func execute(_ task: @escaping Task) -> Bool {
        let mustWake: Bool? = queue.withLockedValue { q in
            guard !q.ended else { return nil }
            q.tasks.append(task)
            let wasWoken = q.woken
            q.woken = true
            return !wasWoken
        }
        guard let mustWake else { return false }
        if mustWake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return true
    }

    /// Starts the thread, which runs turns for `handler` until ``stop()``.
    /// - Throws: `socketFailed` if the thread cannot be created.
    func start(name: String, handler: any EpollThreadHandler) throws(NIOShellError) {
        self.handler = handler
        self.name = String(name.utf8.prefix(15)) ?? "ringlet-epoll"
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let loop = Unmanaged<EpollThread>.fromOpaque(argument).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()
            self.handler = nil
            throw NIOShellError(.socketFailed, "pthread_create: \(result)")
        }
        pthread_detach(thread)
    }

    /// Closes the descriptors of a thread that was never started (later tasks are refused).
    func discard() {
        let wasStarted = handler != nil
        guard !wasStarted else { return }
        let first = queue.withLockedValue { q -> Bool in
            defer { q.ended = true }
            return !q.ended
        }
        guard first else { return }
        close(epollFD)
        close(wakeFD)
    }

    /// Ends the loop after the current turn (call on the thread, e.g. from a task).
    func stop() {
        stopping = true
    }

    private func run() {
        guard let handler else { return }
        _ = ringlet_name_thread(name)
        var events = [epoll_event](repeating: epoll_event(), count: Self.eventsPerWait)
        while !stopping {
            let wait = handler.waitMilliseconds()
            let ready = events.withUnsafeMutableBufferPointer {
                epoll_wait(epollFD, $0.baseAddress, Int32($0.count), wait)
            }
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            var tasksDue = false
            for i in 0..<min(Int(ready), events.count) {
                let fd = events[i].data.fd
                if fd == wakeFD { tasksDue = true } else { handler.readable(fd) }
            }
            if tasksDue { runTasks() }
            handler.turnEnded()
        }
        handler.loopStopped()
        for task in takeTasks(ending: true) { task() }
        self.handler = nil
        close(epollFD)
        close(wakeFD)
    }

    private func runTasks() {
        // Clear the eventfd first: a task queued after this point writes it again (see `execute`).
        var count: UInt64 = 0
        _ = read(wakeFD, &count, 8)
        for task in takeTasks(ending: false) { task() }
    }

    /// Empties the queue and returns its tasks; marks it not woken, or ended (refusing later tasks).
    private func takeTasks(ending: Bool) -> [Task] {
        queue.withLockedValue { q in
            if ending { q.ended = true } else { q.woken = false }
            let tasks = q.tasks
            q.tasks = []
            return tasks
        }
    }
}
