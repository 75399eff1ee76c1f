import CLinux
import Glibc

/// A service's sd_notify socket (`x-berth.notify`): a datagram socket whose path the service
/// gets in `NOTIFY_SOCKET`. Each datagram carries its sender's pid (SCM_CREDENTIALS); only
/// processes of the service's own leaf are listened to.
final class NotifyListener {
    let path: String
    private let fd: Int32
    private let loop: EventLoop
    private let accepts: (Int32) -> Bool
    private let onMessage: ([String: String]) -> Void

    init?(path: String, loop: EventLoop, accepts: @escaping (Int32) -> Bool, onMessage: @escaping ([String: String]) -> Void) {
        unlink(path)
        fd = clinux_notify_socket(path)
        guard fd >= 0 else { return nil }
        self.path = path
        self.loop = loop
        self.accepts = accepts
        self.onMessage = onMessage
        loop.watch(fd) { [weak self] _ in self?.receive() }
    }

    deinit {
        loop.unwatch(fd)
        close(fd)
        unlink(path)
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var sender: Int32 = 0
            let count = clinux_receive_with_sender(fd, &buffer, UInt(buffer.count), &sender)
            guard count >= 0 else { return }
            guard sender > 0, accepts(sender) else { continue }
            var fields: [String: String] = [:]
            for line in String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            onMessage(fields)
        }
    }
}
