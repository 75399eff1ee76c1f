import CLinux
import Glibc

/// The pipes that carry one service's stdout and stderr to the log writer.
///
/// The loop reads them without blocking and passes the bytes on; when the writer says the
/// service's backlog is full, the loop stops reading until it drains (see `LogWriter`).
final class OutputCapture {
    let service: String
    private let loop: EventLoop
    private let writer: LogWriter
    /// Read ends being watched, and which stream each carries.
    private var streams: [Int32: LogWriter.Stream] = [:]
    /// One buffer for every read. Only the loop's thread reads pipes, so sharing it is safe.
    private static let chunkSize = 65_536
    nonisolated(unsafe) private static var buffer = [UInt8](repeating: 0, count: chunkSize)

    init(service: String, loop: EventLoop, writer: LogWriter) {
        self.service = service
        self.loop = loop
        self.writer = writer
    }

    /// New pipes for a process about to start: returns the write ends the child gets. The
    /// read ends are watched once `childStarted()` closed the write ends in the parent.
    func makePipes() -> (stdout: Int32, stderr: Int32)? {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard clinux_pipe2(&out, O_CLOEXEC) == 0 else { return nil }
        guard clinux_pipe2(&err, O_CLOEXEC) == 0 else {
            close(out[0]); close(out[1])
            return nil
        }
        for fd in [out[0], err[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        streams[out[0]] = .stdout
        streams[err[0]] = .stderr
        for fd in [out[0], err[0]] { watch(fd) }
        return (out[1], err[1])
    }

    /// Stops reading and closes everything (the supervisor is shutting down).
    func closeAll() {
        for fd in streams.keys {
            drain(fd)
            loop.unwatch(fd)
            close(fd)
        }
        streams.removeAll()
    }

    private func watch(_ fd: Int32) {
        loop.watch(fd, for: .readable) { [weak self] _ in self?.readable(fd) }
    }

    private func readable(_ fd: Int32) {
        guard let stream = streams[fd] else { return }
        let count = Self.buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.chunkSize) }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return }
        }
        guard count > 0 else {
            // End of file: every holder of the write end is gone.
            loop.unwatch(fd)
            close(fd)
            streams[fd] = nil
            return
        }
        let accepted = writer.append(service: service, stream: stream, bytes: Array(Self.buffer[0..<count]), time: WallClock.now)
        if !accepted {
            loop.unwatch(fd)
            let loop = self.loop
            let capture = LoopBound(self, on: loop)
            writer.whenDrained(service) {
                loop.post {
                    let capture = capture.wrapped
                    guard capture.streams[fd] != nil else { return }
                    capture.watch(fd)
                }
            }
        }
    }

    /// Reads what is left in a pipe before it is closed.
    private func drain(_ fd: Int32) {
        guard let stream = streams[fd] else { return }
        for _ in 0..<64 {
            let count = Self.buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.chunkSize) }
            guard count > 0 else { return }
            writer.append(service: service, stream: stream, bytes: Array(Self.buffer[0..<count]), time: WallClock.now)
        }
    }
}
