import CLinux
import Glibc
import Synchronization

/// The supervision loop: one thread, epoll, timers, and nothing that blocks.
///
/// Everything the supervisor reacts to arrives here: signals (through a signalfd), output of
/// services (pipes), exec reports, cgroup events (inotify), timers (grace periods, restart
/// backoff), and work posted from other threads (the log writer, the history store). Handlers
/// run one at a time on the loop's thread, so supervision state needs no locks.
///
/// Sendable so that other threads can hold it, but only `post` may be called from them;
/// everything else belongs to the loop's thread (checked in debug builds).
public final class EventLoop: @unchecked Sendable {
    public struct Readiness: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Readiness(rawValue: UInt32(EPOLLIN.rawValue))
        public static let writable = Readiness(rawValue: UInt32(EPOLLOUT.rawValue))
        public static let hangup = Readiness(rawValue: UInt32(EPOLLHUP.rawValue))
        public static let error = Readiness(rawValue: UInt32(EPOLLERR.rawValue))
    }

    public struct TimerID: Hashable, Sendable { fileprivate let value: UInt64 }

    private let epoll: Int32
    private let wakeup: Int32
    private var watches: [Int32: (Readiness) -> Void] = [:]
    private var timers = TimerHeap()
    private var cancelled: Set<UInt64> = []
    private var nextTimer: UInt64 = 0
    private let posted = Mutex<[@Sendable () -> Void]>([])
    private var running = false
    /// The thread that created the loop and runs it.
    private let owner = pthread_self()

    /// Whether the caller is on the loop's thread.
    public var isCurrent: Bool { pthread_equal(owner, pthread_self()) != 0 }

    public init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeup >= 0, "epoll/eventfd: \(String(cString: strerror(errno)))")
        register(wakeup, events: .readable)
    }

    deinit {
        close(epoll)
        close(wakeup)
    }

    // MARK: - Descriptors

    /// Calls `handler` whenever `fd` is ready. One handler per descriptor; watching again replaces it.
    public func watch(_ fd: Int32, for events: Readiness = .readable, _ handler: @escaping (Readiness) -> Void) {
        assert(isCurrent, "EventLoop.watch off the loop's thread")
        if watches.updateValue(handler, forKey: fd) == nil {
            register(fd, events: events)
        } else {
            var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
            epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
        }
    }

    /// Stops watching `fd`. The caller still owns (and closes) the descriptor.
    public func unwatch(_ fd: Int32) {
        guard watches.removeValue(forKey: fd) != nil else { return }
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
    }

    private func register(_ fd: Int32, events: Readiness) {
        var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
        if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0 {
            preconditionFailure("epoll_ctl(ADD, \(fd)): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Timers

    @discardableResult
    public func schedule(at deadline: Instant, _ body: @escaping () -> Void) -> TimerID {
        assert(isCurrent, "EventLoop.schedule off the loop's thread")
        nextTimer += 1
        timers.insert(.init(deadline: deadline, id: nextTimer, body: body))
        return TimerID(value: nextTimer)
    }

    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> TimerID {
        schedule(at: .now + delay, body)
    }

    public func cancel(_ timer: TimerID) {
        cancelled.insert(timer.value)
    }

    // MARK: - Work from other threads

    /// Runs `body` on the loop's thread soon. Safe to call from any thread.
    public func post(_ body: @escaping @Sendable () -> Void) {
        posted.withLock { $0.append(body) }
        var one: UInt64 = 1
        _ = write(wakeup, &one, 8)
    }

    // MARK: - Running

    /// Runs until `stop()`.
    public func run() {
        running = true
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while running {
            fireDueTimers()
            guard running else { break }
            let timeout = millisecondsUntilNextTimer()
            let count = epoll_wait(epoll, &events, Int32(events.count), timeout)
            if count < 0 {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait: \(String(cString: strerror(errno)))")
            }
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                let readiness = Readiness(rawValue: events[index].events)
                if fd == wakeup {
                    drainPosted()
                } else if let handler = watches[fd] {
                    handler(readiness)
                }
            }
        }
    }

    public func stop() {
        running = false
    }

    private func fireDueTimers() {
        let now = Instant.now
        while let first = timers.first, first.deadline <= now {
            timers.removeFirst()
            if cancelled.remove(first.id) != nil { continue }
            first.body()
        }
    }

    private func millisecondsUntilNextTimer() -> Int32 {
        while let first = timers.first, cancelled.contains(first.id) {
            cancelled.remove(first.id)
            timers.removeFirst()
        }
        guard let first = timers.first else { return -1 }
        let now = Instant.now
        guard first.deadline > now else { return 0 }
        // Round up, so that the timer is due when the wait ends.
        return Int32(min(Int64(Int32.max), Int64((first.deadline.nanoseconds - now.nanoseconds + 999_999) / 1_000_000)))
    }

    private func drainPosted() {
        var count: UInt64 = 0
        _ = read(wakeup, &count, 8)
        let work = posted.withLock { work -> [@Sendable () -> Void] in
            defer { work.removeAll() }
            return work
        }
        for body in work { body() }
    }
}

/// A binary min-heap of timers by deadline (ties in scheduling order).
private struct TimerHeap {
    struct Entry {
        var deadline: Instant
        var id: UInt64
        var body: () -> Void

        func isBefore(_ other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && id < other.id)
        }
    }

    private var entries: [Entry] = []

    var first: Entry? { entries.first }

    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].isBefore(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() {
        guard !entries.isEmpty else { return }
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].isBefore(entries[smallest]) { smallest = left }
            if right < entries.count, entries[right].isBefore(entries[smallest]) { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A loop-confined object that can travel through other threads (inside a posted closure)
/// without being touched there: only the loop's thread may unwrap it.
public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    // Unchecked: `value` is read only on the loop's thread, which `wrapped` checks.
    private let value: Value
    private let loop: EventLoop

    public init(_ value: Value, on loop: EventLoop) {
        self.value = value
        self.loop = loop
    }

    public var wrapped: Value {
        precondition(loop.isCurrent, "a loop-bound value was used off the loop's thread")
        return value
    }
}
