import Glibc
import StackFile
import Synchronization

/// Writes services' output to `<state>/logs/<service>.log`, one timestamped line at a time,
/// rotating by size, and echoes it to the terminal when `up` is attached to one.
///
/// The supervision loop only hands over bytes; the files and the terminal are written on this
/// writer's own thread, because a write to a file or a terminal can block. Each service may
/// have at most `budget` bytes waiting: beyond that `append` refuses, the loop stops reading
/// that service's pipe, the pipe fills, and the service blocks in write(2) — a slow disk slows
/// the noisy service down, never berth, and berth's memory stays bounded.
public final class LogWriter: Sendable {
    public enum Stream: String, Sendable {
        case stdout = "out"
        case stderr = "err"
    }

    /// Bytes a service may have waiting for the disk before its pipe is left unread.
    public let budget: Int
    private let state: Mutex<State>
    private let work = Condition()
    private let directory: String
    private let echo: TerminalEcho?

    private struct Pending: Sendable {
        var service: String
        var stream: Stream?
        var time: Double
        var bytes: [UInt8]
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var waiting: [String: Int] = [:]
        var policies: [String: LogPolicy] = [:]
        /// Called (on the writer thread) when a paused service's backlog has drained.
        var resume: [String: @Sendable () -> Void] = [:]
        var stopping = false
        var finished = false
    }

    public init(directory: String, echo: TerminalEcho?, budget: Int = 1 << 20) {
        self.directory = directory
        self.echo = echo
        self.budget = budget
        state = Mutex(State())
        let thread = WriterThread(writer: self)
        thread.start()
    }

    public func configure(service: String, policy: LogPolicy) {
        state.withLock { $0.policies[service] = policy }
    }

    /// Queues output of `service`. Returns false when its backlog is over budget: the caller
    /// should stop reading until `whenDrained` runs.
    @discardableResult
    public func append(service: String, stream: Stream, bytes: [UInt8], time: Double) -> Bool {
        let accepted = state.withLock { state -> Bool in
            state.queue.append(Pending(service: service, stream: stream, time: time, bytes: bytes))
            state.waiting[service, default: 0] += bytes.count
            return state.waiting[service, default: 0] <= budget
        }
        work.signal()
        return accepted
    }

    /// A line from berth itself, for the terminal only.
    public func announce(_ line: String, time: Double) {
        state.withLock { $0.queue.append(Pending(service: "", stream: nil, time: time, bytes: Array((line + "\n").utf8))) }
        work.signal()
    }

    /// Runs `body` once `service`'s backlog is below half the budget.
    public func whenDrained(_ service: String, _ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.waiting[service, default: 0] <= budget / 2 { return true }
            state.resume[service] = body
            return false
        }
        if now { body() }
    }

    /// Writes what is queued and stops the thread; waits for it.
    public func finish() {
        state.withLock { $0.stopping = true }
        work.signal()
        while !state.withLock({ $0.finished }) { usleep(2_000) }
    }

    // MARK: - The writer thread

    fileprivate func runLoop() {
        var files: [String: LogFile] = [:]
        var partial: [String: [UInt8]] = [:]
        while true {
            let (batch, stop) = state.withLock { state -> ([Pending], Bool) in
                defer { state.queue.removeAll(keepingCapacity: true) }
                return (state.queue, state.stopping)
            }
            if batch.isEmpty {
                if stop { break }
                work.wait()
                continue
            }
            var written: [String: Int] = [:]
            for item in batch {
                guard let stream = item.stream else {
                    echo?.write(service: nil, line: item.bytes, time: item.time)
                    continue
                }
                let key = item.service + "/" + stream.rawValue
                let policy = state.withLock { $0.policies[item.service] } ?? LogPolicy()
                let file = files[item.service] ?? LogFile(path: "\(directory)/\(item.service).log", policy: policy)
                files[item.service] = file
                var buffer = partial.removeValue(forKey: key) ?? []
                buffer.append(contentsOf: item.bytes)
                var start = 0
                for (index, byte) in buffer.enumerated() where byte == UInt8(ascii: "\n") {
                    let line = Array(buffer[start..<index])
                    file.write(line: line, stream: stream, time: item.time)
                    echo?.write(service: item.service, line: line + [UInt8(ascii: "\n")], time: item.time)
                    start = index + 1
                }
                var rest = Array(buffer[start...])
                // A line longer than 16 KiB is written in pieces, so that one endless line cannot
                // hold memory.
                while rest.count >= 16_384 {
                    let piece = Array(rest.prefix(16_384))
                    file.write(line: piece, stream: stream, time: item.time)
                    echo?.write(service: item.service, line: piece + [UInt8(ascii: "\n")], time: item.time)
                    rest.removeFirst(16_384)
                }
                if !rest.isEmpty { partial[key] = rest }
                written[item.service, default: 0] += item.bytes.count
            }
            let resumed = state.withLock { state -> [@Sendable () -> Void] in
                var ready: [@Sendable () -> Void] = []
                for (service, count) in written {
                    state.waiting[service, default: 0] -= count
                    if state.waiting[service, default: 0] <= budget / 2, let body = state.resume.removeValue(forKey: service) {
                        ready.append(body)
                    }
                }
                return ready
            }
            for body in resumed { body() }
        }
        // Output cut mid-line when a service ended still deserves to be kept.
        for (key, rest) in partial where !rest.isEmpty {
            let service = String(key.split(separator: "/").first ?? "")
            let stream: Stream = key.hasSuffix("/err") ? .stderr : .stdout
            files[service]?.write(line: rest, stream: stream, time: WallClock.now)
        }
        for file in files.values { file.close() }
        state.withLock { $0.finished = true }
    }
}

/// The thread the writer runs on (a plain pthread: the writer blocks in write(2) by design).
private final class WriterThread: @unchecked Sendable {
    // Unchecked: the writer is Sendable; the thread handle is touched only by `start`.
    let writer: LogWriter

    init(writer: LogWriter) { self.writer = writer }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let owner = Unmanaged<WriterThread>.fromOpaque(context!).takeRetainedValue()
            owner.writer.runLoop()
            return nil
        }, context)
        precondition(result == 0, "cannot start the log writer thread")
        pthread_detach(thread)
    }
}

/// A condition variable to wake the writer thread.
final class Condition: @unchecked Sendable {
    // Unchecked: the pthread objects live at fixed addresses and are used only through the
    // thread-safe pthread functions; `pending` is protected by the mutex.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func signal() {
        pthread_mutex_lock(mutex)
        pending = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until signalled (or returns at once if a signal is pending).
    func wait() {
        pthread_mutex_lock(mutex)
        while !pending { pthread_cond_wait(condition, mutex) }
        pending = false
        pthread_mutex_unlock(mutex)
    }
}
