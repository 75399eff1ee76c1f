import CLinux
import Glibc

/// The signals the supervisor handles, delivered through a signalfd on the loop instead of
/// asynchronous handlers.
///
/// `block()` must run before any other thread starts: threads inherit the signal mask, and a
/// SIGTERM delivered to a thread that has it unblocked would kill the process.
final class SignalSource {
    static let handled: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    private let fd: Int32

    /// Blocks the handled signals in the calling thread (and every thread it starts later), and
    /// ignores SIGPIPE, so that writing to a closed pipe is an error rather than a death.
    static func block() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        return handled.withUnsafeBufferPointer { clinux_signalfd($0.baseAddress, Int32($0.count)) }
    }

    init(descriptor: Int32, loop: EventLoop, handler: @escaping (Int32) -> Void) {
        fd = descriptor
        loop.watch(fd) { [fd] _ in
            var record = [UInt8](repeating: 0, count: 128)
            while record.withUnsafeMutableBytes({ read(fd, $0.baseAddress, 128) }) == 128 {
                handler(record.withUnsafeBytes { clinux_signalfd_signal($0.baseAddress) })
            }
        }
    }
}
